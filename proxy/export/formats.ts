/**
 * The export formats, apart from the renderers (index.ts): `imapscope --help` lists them and
 * `imapscope export` checks --format before the archive and the renderers are loaded.
 */
export const EXPORT_FORMATS = ['jsonl', 'transcript', 'pcapng'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export function isExportFormat(s: string): s is ExportFormat {
  return (EXPORT_FORMATS as readonly string[]).includes(s);
}
