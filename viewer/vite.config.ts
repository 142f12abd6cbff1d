import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * Writes a gzip (.gz) and a brotli (.br) copy beside each script and style sheet, which the hub
 * serves to browsers that accept them (proxy/ui/http.ts): about a third of the bytes over the
 * wire, compressed once at build time instead of per request.
 */
function precompress(): Plugin {
  return {
    name: 'imapscope-precompress',
    apply: 'build',
    writeBundle(options, bundle) {
      for (const name of Object.keys(bundle)) {
        if (!/\.(js|css)$/.test(name)) continue;
        const file = path.join(options.dir ?? path.join(root, 'dist'), name);
        const data = readFileSync(file);
        writeFileSync(`${file}.gz`, gzipSync(data, { level: 9 }));
        writeFileSync(
          `${file}.br`,
          brotliCompressSync(data, {
            params: {
              [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
              [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
            },
          }),
        );
      }
    },
  };
}

/**
 * Builds the viewer into viewer/dist, which the hub serves (proxy/ui/http.ts). Relative asset
 * paths so the page works behind any prefix; `npm run dev:viewer` proxies /api and /ws to a
 * running imapscope (IMAPSCOPE_UI, default 127.0.0.1:8025).
 */
export default defineConfig({
  root,
  base: './',
  plugins: [react(), precompress()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 1024,
  },
  server: {
    proxy: {
      '/api': `http://${process.env.IMAPSCOPE_UI ?? '127.0.0.1:8025'}`,
      '/ws': { target: `ws://${process.env.IMAPSCOPE_UI ?? '127.0.0.1:8025'}`, ws: true },
    },
  },
});
