import { readFileSync } from 'node:fs';

/**
 * Reads a V8 CPU profile (`BENCH_PROFILE=1 npm run bench` writes them to
 * bench/results/profiles) and prints where the time went: by package, by
 * function's own time, and by function including callees.
 *
 *   node -r ts-node/register/transpile-only bench/profile-summary.ts <file.cpuprofile> [--top=25]
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The transpiled baseline's files (bench/results/build/...) count as the sources they come from. */
const BUILT_BENCH = /\/bench\/results\/build\//;

/** Which package a script belongs to: the npm package, Node itself, or the project. */
function packageOf(rawUrl: string, name: string): string {
  if (!rawUrl) return name.startsWith('(') ? name : '(native)';
  const url = rawUrl.replace(BUILT_BENCH, '/');
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules) return modules[1];
  if (url.startsWith('node:')) return 'node (internals)';
  const project = /\/(dist|src|bench)\/(.+)$/.exec(url);
  return project ? `project ${project[1]}/${project[2].split('/')[0]}` : url;
}

function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url
    .replace(BUILT_BENCH, '/')
    .replace(/^.*node_modules\//, '')
    .replace(/^.*\/(dist|src|bench)\//, '$1/');
  return `${functionName || '(anonymous)'} ${file ? `${file}:${lineNumber + 1}` : ''}`.trim();
}

function rank(map: Map<string, number>, total: number, top: number): string[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, us]) => `${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${name}`);
}

export function summariseProfile(profile: CpuProfile, top = 25): string {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const packages = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    const node = byId.get(id);
    if (!node) return;
    total += us;
    const name = frameName(node);
    self.set(name, (self.get(name) ?? 0) + us);
    const pkg = packageOf(node.callFrame.url, node.callFrame.functionName);
    packages.set(pkg, (packages.get(pkg) ?? 0) + us);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = frameName(byId.get(at)!);
      if (seen.has(frame)) continue;
      seen.add(frame);
      inclusive.set(frame, (inclusive.get(frame) ?? 0) + us);
    }
  });
  // Percentages of busy time: a target idles while the other one is under load.
  const idle = self.get('(idle)') ?? 0;
  const busy = total - idle;
  for (const map of [self, inclusive, packages]) {
    map.delete('(idle)');
    map.delete('(root)');
  }
  return [
    `${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy; percentages of busy time`,
    '',
    'Self time by package:',
    ...rank(packages, busy, top),
    '',
    'Self time by function:',
    ...rank(self, busy, top),
    '',
    'Total time (with callees) by function:',
    ...rank(inclusive, busy, top),
  ].join('\n');
}

if (require.main === module) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: profile-summary.ts <file.cpuprofile> [--top=N]\n');
    process.exit(2);
  }
  const top = Number(process.argv.find((a) => a.startsWith('--top='))?.slice(6) ?? 25);
  process.stdout.write(`${summariseProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, top)}\n`);
}
