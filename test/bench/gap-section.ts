/**
 * "Inspection gap, every section" of BENCHMARKS.md: for each subsection that relays through
 * imapscope at its default settings, the bytes it relayed but did not decode (issue 12: 0 MB
 * everywhere), gathered from the sections' own figures; for each section that relays nothing
 * through imapscope, "n/a" and why.
 */
import type { Report } from './report.ts';
import type { Outcome } from './sections.ts';
import { PIPELINED_NOOPS } from './relay-bench.ts';
import { fmt, GAP_NA, gapMB, isTlsRows } from './sections.ts';

/** One row: where, and the gap in bytes, or why there is none to give. */
export interface GapRow {
  section: string;
  subsection: string;
  /** Bytes; a string says why there is no figure (n/a, not measured, not recorded). */
  gap: number | string;
}

const NOT_RECORDED = 'not recorded (report from before the figure)';

function outcome<T>(
  o: Outcome<T> | undefined,
  section: string,
  rows: (v: T) => GapRow[],
): GapRow[] {
  if (!o) return [{ section, subsection: '—', gap: 'not in this report' }];
  if (!o.ok) return [{ section, subsection: '—', gap: `not measured: ${o.reason}` }];
  return rows(o.value);
}

/**
 * The gap row of the viewer's figures (docs/viewer-figures.md, from test/viewer/figures.ts,
 * which relays one 10,000-exchange session through imapscope): "| inspection gap … | N MB |".
 */
export function viewerGap(figures: string | undefined): number | undefined {
  const m = /^\| inspection gap[^|]*\| ([\d.,]+) MB \|/im.exec(figures ?? '');
  return m ? Number(m[1]!.replaceAll(',', '')) * 1e6 : undefined;
}

/**
 * Every section's gap rows, in report order; `viewerFigures` is docs/viewer-figures.md's text
 * (the viewer's figures come from a run of their own).
 */
export function gapRows(report: Report, viewerFigures?: string): GapRow[] {
  const na = (section: string, why: string): GapRow => ({
    section,
    subsection: '—',
    gap: `n/a: ${why}`,
  });
  return [
    ...outcome(report.relay, 'relay', (r) =>
      (
        [
          ['(a) bulk FETCH', r.gapBytes?.bulk],
          ['(b) NOOP round-trips', r.gapBytes?.noop],
          ['(c) 200 concurrent sessions', r.gapBytes?.sessions],
          ['(d) 1,000 concurrent sessions', r.gapBytes?.many],
          [`(e) ${fmt(PIPELINED_NOOPS)} pipelined NOOPs`, r.gapBytes?.pipelined],
        ] as const
      ).map(([subsection, gap]) => ({ section: 'relay', subsection, gap: gap ?? NOT_RECORDED })),
    ),
    na('decoder', GAP_NA.decoder),
    ...outcome(report.tls, 'TLS', (rows) =>
      isTlsRows(rows)
        ? rows
            .filter((r) => r.path === 'imapscope')
            .map((r) => ({
              section: 'TLS',
              subsection: r.compress ? 'TLS both legs + COMPRESS' : 'TLS both legs',
              gap: typeof r.gapBytes === 'number' ? r.gapBytes : NOT_RECORDED,
            }))
        : [{ section: 'TLS', subsection: '—', gap: NOT_RECORDED }],
    ),
    ...outcome(report.hub, 'hub', (h) => {
      const g = (
        h.details as {
          gapBytes?: {
            sessions: Record<string, number>;
            bulk: Record<string, number>;
            stall?: { stalled: number; twin: number };
          };
        }
      ).gapBytes;
      return (
        [
          ['200-session rounds, viewer + archive on', g?.sessions['hub on']],
          ['200-session rounds, archive off', g?.sessions['hub off']],
          ['bulk FETCH, viewer + archive on', g?.bulk['hub on']],
          ['bulk FETCH, archive off', g?.bulk['hub off']],
          ['stalled viewer', g?.stall?.stalled],
          ['stalled viewer: its twin', g?.stall?.twin],
        ] as const
      ).map(([subsection, gap]) => ({ section: 'hub', subsection, gap: gap ?? NOT_RECORDED }));
    }),
    ...outcome(report.recovery, 'crash recovery', (r) => [
      {
        section: 'crash recovery',
        subsection: 'restarts on the archive',
        gap: `n/a: ${GAP_NA.restarts}`,
      },
      {
        section: 'crash recovery',
        subsection: 'SIGKILL under saturating load (logged before the kill)',
        gap: r.loss?.gapBytes ?? NOT_RECORDED,
      },
    ]),
    na('start-up', GAP_NA.startup),
    na('pipelined commands', GAP_NA.pipelined),
    na('archive at scale', GAP_NA.archiveScale),
    ((gap) =>
      gap === undefined
        ? na('viewer', GAP_NA.viewer)
        : { section: 'viewer', subsection: '10,000-exchange session (its own run)', gap })(
      viewerGap(viewerFigures),
    ),
  ];
}

/** Whether every measured gap is 0 (null when none was measured). */
export function gapVerdict(
  report: Report,
  viewerFigures?: string,
): { pass: boolean; measured: number } | null {
  const measured = gapRows(report, viewerFigures).filter((r) => typeof r.gap === 'number');
  if (measured.length === 0) return null;
  return { pass: measured.every((r) => r.gap === 0), measured: measured.length };
}

export function gapSection(report: Report, viewerFigures?: string): string[] {
  const rows = gapRows(report, viewerFigures);
  const v = gapVerdict(report, viewerFigures);
  return [
    '## Inspection gap, every section (issue 12)',
    '',
    'Bytes imapscope relayed but did not decode: the sum of `droppedBytes` over its ' +
      '"inspection gap" log lines (warn, written at the default log level) between marks taken ' +
      'as each subsection starts and ends. By default inspection is lossless: the relay pauses ' +
      'a session instead of dropping its bytes, so every figure should be 0 MB; a gap means ' +
      'bytes went uninspected. Target: 0 MB in every subsection that relays through imapscope.',
    '',
    `| Section | Subsection | Inspection gap |`,
    `| --- | --- | --- |`,
    ...rows.map(
      (r) =>
        `| ${r.section} | ${r.subsection} | ${typeof r.gap === 'number' ? `**${gapMB(r.gap)}**` : r.gap.replaceAll('|', '\\|')} |`,
    ),
    '',
    v === null
      ? 'Result: — (no subsection measured).'
      : `Result: ${v.pass ? 'pass' : '**FAIL**'} (${v.measured} subsections measured).`,
    '',
  ];
}
