import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import type { HeldMemoryResult } from '../held-memory';
import type { HostileAuthResult } from '../hostile-auth';
import type { BenchOptions } from '../options';
import type { SweepCostRow } from '../sweep-cost';
import type { FixedRateResult, ModeResult } from '../throughput';
import type { TargetSummary } from './load';
import type { Mode } from './targets';

export interface MachineInfo {
  cpus: number;
  model: string;
  memoryBytes: number;
  node: string;
  kernel: string;
  loadAverageAtStart: number[];
}

/** What was measured: the commit, and whether the working tree had changes on top of it. */
export interface SourceInfo {
  commit: string | null;
  dirty: boolean | null;
}

export interface BenchResult {
  date: string;
  machine: MachineInfo;
  source: SourceInfo;
  options: BenchOptions;
  seconds?: number;
  throughput?: Partial<Record<Mode, ModeResult>>;
  heldMemory?: HeldMemoryResult;
  sweepCost?: SweepCostRow[];
  /** `--only=hostile`: the password flood (bench/hostile-auth.ts). */
  hostileAuth?: HostileAuthResult;
}

export function sourceInfo(root: string): SourceInfo {
  const git = (...args: string[]) => spawnSync('git', ['-C', root, ...args], { encoding: 'utf8' });
  const head = git('rev-parse', '--short', 'HEAD');
  if (head.status !== 0) return { commit: null, dirty: null };
  return { commit: head.stdout.trim(), dirty: git('status', '--porcelain', '--', 'src').stdout.trim() !== '' };
}

export function machineInfo(): MachineInfo {
  let model = cpus()[0]?.model ?? 'unknown';
  try {
    model = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? model;
  } catch {
    // not Linux: os.cpus() is good enough
  }
  return { cpus: cpus().length, model, memoryBytes: totalmem(), node: process.version, kernel: release(), loadAverageAtStart: loadavg() };
}

export interface Table {
  title: string;
  header: string[];
  rows: string[][];
  /** Leading columns of names (left-aligned); the rest are figures. */
  labels: number;
}

const MODE_NAMES: Record<Mode, string> = { fire: 'fire-and-forget', reply: 'reply (echo app)' };
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const ratio = (value: number | null) => (value === null || !Number.isFinite(value) ? 'n/a' : `${value.toFixed(2)}x`);

function targetRow(mode: string, name: string, s: TargetSummary): string[] {
  return [
    mode,
    name,
    s.reqPerSec.toFixed(0),
    String(s.p50),
    String(s.p99),
    String(s.max),
    String(s.errors),
    String(s.non2xx),
    mb(s.peakRss),
    s.cpuMicros.toFixed(0),
  ];
}

export function tables(result: BenchResult): Table[] {
  const out: Table[] = [];
  const o = result.options;
  if (result.throughput) {
    const rows: string[][] = [];
    for (const [mode, r] of Object.entries(result.throughput) as Array<[Mode, ModeResult]>) {
      rows.push(targetRow(MODE_NAMES[mode], 'service', r.service), targetRow('', 'baseline', r.baseline));
      const gen = r.generatorCpuMicros;
      if (gen.service !== null && gen.baseline !== null) {
        rows.push([
          '',
          `${r.generator} (load generator)`,
          '',
          '',
          '',
          '',
          '',
          '',
          '',
          `${gen.service.toFixed(0)} / ${gen.baseline.toFixed(0)}`,
        ]);
      } else rows.push(['', `${r.generator} (load generator, in-process)`, '', '', '', '', '', '', '', 'n/a']);
      rows.push([
        '',
        'service/baseline',
        ratio(r.ratios.throughput),
        '',
        ratio(r.ratios.p99),
        '',
        '',
        '',
        '',
        ratio(r.ratios.cpuPerRequest),
      ]);
    }
    out.push({
      title:
        `Throughput: ${o.connections} connections, ${o.rounds} alternating rounds x ${o.duration} s per target after ${o.warmup} s warm-up ` +
        `(p50/p99: median of rounds; the load generator's row: its CPU per request while driving the service / the baseline)`,
      labels: 2,
      header: ['mode', 'target', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'errors', 'non-2xx', 'peak RSS', 'CPU us/req'],
      rows,
    });
  }
  const paired = Object.entries(result.throughput ?? {}).filter(([, r]) => r.throughputInterval) as Array<[Mode, ModeResult]>;
  if (paired.length > 0) {
    const verdict = ({ low, high }: { low: number; high: number }) =>
      low > 1 ? 'service faster' : high < 1 ? 'baseline faster' : 'no difference shown';
    out.push({
      title:
        'Throughput ratio from the rounds in pairs (service round i / baseline round i): geometric mean and 95 % interval; ' +
        'an interval that holds 1.0 means this run cannot tell the two apart',
      labels: 1,
      header: ['mode', 'ratio', 'low', 'high', 'verdict'],
      rows: paired.map(([mode, r]) => {
        const i = r.throughputInterval!;
        return [MODE_NAMES[mode], ratio(i.ratio), ratio(i.low), ratio(i.high), verdict(i)];
      }),
    });
  }
  const paced = Object.entries(result.throughput ?? {}).filter(([, r]) => r.fixedRate) as Array<[Mode, ModeResult]>;
  if (paced.length > 0) {
    const rows: string[][] = [];
    for (const [mode, r] of paced) {
      const f = r.fixedRate!;
      const row = (name: string, t: FixedRateResult['service']) => [
        name === 'service' ? MODE_NAMES[mode] : '',
        name,
        String(f.offeredRate),
        t.reqPerSec.toFixed(0),
        String(t.p50),
        String(t.p99),
        String(t.max),
        String(t.errors + t.non2xx),
        t.cpuMicros.toFixed(0),
      ];
      rows.push(row('service', f.service), row('baseline', f.baseline));
      rows.push([
        '',
        'service/baseline',
        '',
        ratio(f.service.reqPerSec / f.baseline.reqPerSec),
        '',
        ratio(f.p99Ratio),
        '',
        '',
        ratio(f.service.cpuMicros / f.baseline.cpuMicros),
      ]);
    }
    out.push({
      title: `Fixed rate: both targets offered half the baseline's maximum (${o.duration} s each, ${o.connections} paced connections)`,
      labels: 2,
      header: ['mode', 'target', 'offered/s', 'got req/s', 'p50 ms', 'p99 ms', 'max ms', 'errors', 'CPU us/req'],
      rows,
    });
  }
  if (result.throughput) {
    const rows: string[][] = [];
    for (const [mode, r] of Object.entries(result.throughput) as Array<[Mode, ModeResult]>) {
      const { service, baseline } = r.startup;
      rows.push([MODE_NAMES[mode], 'service', service.readyMs.toFixed(0), mb(service.idleRss)]);
      rows.push(['', 'baseline', baseline.readyMs.toFixed(0), mb(baseline.idleRss)]);
      rows.push(['', 'service/baseline', ratio(service.readyMs / baseline.readyMs), ratio(service.idleRss / baseline.idleRss)]);
    }
    out.push({
      title: 'Start-up: spawn to ready (the service: readiness 200, broker connected), and RSS before any traffic',
      labels: 2,
      header: ['mode', 'target', 'ready ms', 'idle RSS'],
      rows,
    });
  }
  const held = result.heldMemory;
  if (held) {
    const levels = held.levels;
    const timeouts = [...new Set([held.service.timeoutSeconds, held.baseline.timeoutSeconds])].join(' / ');
    const row = (name: string, t: HeldMemoryResult['service']) => [
      name,
      ...t.samples.map((s) => mb(s.rss)),
      ...t.perHeld.map((p) => `${p.rssBytes.toFixed(0)} B`),
      ...t.perHeld.map((p) => (p.heapBytes === null ? 'n/a' : `${p.heapBytes.toFixed(0)} B`)),
    ];
    out.push({
      title: `Held-request memory (reply mode, nothing replies; after a GC; request_timeout ${timeouts} s)`,
      labels: 1,
      header: [
        'target',
        'RSS 0 held',
        ...levels.map((l) => `RSS ${l} held`),
        'RSS after time-out',
        ...levels.map((l) => `RSS B/held @${l}`),
        ...levels.map((l) => `heap B/held @${l}`),
      ],
      rows: [
        row('service', held.service),
        row('baseline', held.baseline),
        [
          'service/baseline',
          ...Array<string>(levels.length + 2).fill(''),
          ...held.ratios.map((r) => ratio(r.rss)),
          ...held.ratios.map((r) => ratio(r.heap)),
        ],
      ],
    });
  }
  if (result.sweepCost) {
    out.push({
      title: 'Time-out sweep (PendingRequestsService.sweep(), in process)',
      labels: 0,
      header: ['held', 'expired', 'time per sweep'],
      rows: result.sweepCost.map((r) => [
        String(r.held),
        String(r.expired),
        r.nsPerSweep < 10_000 ? `${r.nsPerSweep.toFixed(0)} ns` : `${(r.nsPerSweep / 1000).toFixed(0)} us`,
      ]),
    });
  }
  return out;
}

export function renderText(table: Table): string {
  const widths = table.header.map((h, i) => Math.max(h.length, ...table.rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < table.labels ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [table.title, line(table.header), widths.map((w) => '-'.repeat(w)).join('  '), ...table.rows.map(line)].join('\n');
}

export function renderMarkdown(table: Table): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const rule = `|${table.header.map((_, i) => (i < table.labels ? ' --- ' : ' ---: ')).join('|')}|`;
  return [`**${table.title}**`, '', line(table.header), rule, ...table.rows.map(line)].join('\n');
}

export function describeMachine(m: MachineInfo): string {
  return `${m.cpus} x ${m.model}, ${mb(m.memoryBytes)} RAM, Node ${m.node}, Linux ${m.kernel}, load average at start ${m.loadAverageAtStart.map((l) => l.toFixed(2)).join(' ')}`;
}
