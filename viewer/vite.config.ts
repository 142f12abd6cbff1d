import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * Builds the viewer into viewer/dist, which the hub serves (proxy/ui/http.ts). Relative asset
 * paths so the page works behind any prefix; `npm run dev:viewer` proxies /api and /ws to a
 * running imapscope (IMAPSCOPE_UI, default 127.0.0.1:8025).
 */
export default defineConfig({
  root,
  base: './',
  plugins: [react()],
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
