/** /metrics of a running imapscope, parsed with parse-prometheus-text-format. */
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import type { PromFamily } from 'parse-prometheus-text-format';
import type { Imapscope } from './imapscope.ts';

export interface Scrape {
  status: number;
  families: PromFamily[];
  text: string;
}

/** GET /metrics with the token (none when `withToken` is false); parsed when it answers 200. */
export async function scrapeMetrics(scope: Imapscope, withToken = true): Promise<Scrape> {
  const token = new URL(scope.url).searchParams.get('token')!;
  const res = await fetch(`http://${scope.ui.host}:${scope.ui.port}/metrics`, {
    headers: withToken ? { authorization: `Bearer ${token}` } : {},
  });
  const text = await res.text();
  return {
    status: res.status,
    text,
    families: res.status === 200 ? parsePrometheusTextFormat(text) : [],
  };
}

/** The first sample of `name` whose labels include `labels`; 0 when there is none. */
export function metricValue(
  families: PromFamily[],
  name: string,
  labels: Record<string, string> = {},
): number {
  const family = families.find((f) => f.name === name);
  const sample = family?.metrics.find((m) =>
    Object.entries(labels).every(([k, v]) => m.labels?.[k] === v),
  );
  return Number(sample?.value ?? 0);
}

/** Every sample of `name` added up (a counter over all its label values). */
export function metricSum(families: PromFamily[], name: string): number {
  const family = families.find((f) => f.name === name);
  return (family?.metrics ?? []).reduce((n, m) => n + Number(m.value), 0);
}
