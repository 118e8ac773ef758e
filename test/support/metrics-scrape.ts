/**
 * Reads a Prometheus text exposition (the service's metrics endpoint) into
 * samples, for tests that assert on how metrics change.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = LINE.exec(line);
    if (!match) throw new Error(`Not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(LABEL)) labels[key] = value;
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

/** Metric families declared by `# TYPE` lines: name → type. */
export function metricTypes(text: string): Map<string, string> {
  const types = new Map<string, string>();
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) types.set(name, type);
  return types;
}

export class MetricsReader {
  constructor(readonly url: string) {}

  async text(): Promise<string> {
    const response = await fetch(this.url);
    if (response.status !== 200) throw new Error(`${this.url} answered ${response.status}`);
    return response.text();
  }

  /** The sum of the series of `name` whose labels include `labels` (0 when none). */
  async value(name: string, labels: Record<string, string> = {}): Promise<number> {
    return valueOf(parseExposition(await this.text()), name, labels);
  }

  /** Scrapes until `name{labels}` reaches `expected`, with a deadline; returns the last value seen. */
  async waitFor(name: string, labels: Record<string, string>, expected: number, timeoutMs = 10_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await this.value(name, labels);
      if (value === expected || Date.now() >= deadline) return value;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

export function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([key, value]) => s.labels[key] === value))
    .reduce((sum, s) => sum + s.value, 0);
}
