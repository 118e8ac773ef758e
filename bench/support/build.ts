import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as ts from 'typescript';
import { BUILD_DIR, DIST_DIR, ROOT } from './paths';

export class BuildFailedError extends Error {
  constructor(what: string, output: string) {
    super(`${what} failed:\n${output}`);
    this.name = 'BuildFailedError';
  }
}

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) {
      newest = Math.max(newest, statSync(path).mtimeMs);
    }
  }
  return newest;
}

/** Runs `nest build` when dist/main.js is missing or older than any source file; true when it built. */
export function ensureServiceBuilt(log: (line: string) => void): boolean {
  const main = join(DIST_DIR, 'main.js');
  const demo = join(DIST_DIR, 'demo', 'echo-application.js');
  const builtAt = existsSync(main) && existsSync(demo) ? statSync(main).mtimeMs : 0;
  if (builtAt > newestSource(join(ROOT, 'src'))) return false;
  log(builtAt === 0 ? 'dist/ missing: building the service (nest build)' : 'dist/ is stale: rebuilding (nest build)');
  const nest = join(ROOT, 'node_modules', '.bin', 'nest');
  const started = Date.now();
  const result = spawnSync(nest, ['build'], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) {
    // tsc still emits on type errors: go on with a warning if it did, so one WIP file elsewhere does not stop a run.
    const emitted = existsSync(main) && existsSync(demo) && statSync(main).mtimeMs >= started - 1000;
    // eslint-disable-next-line no-control-regex -- ESC starts the terminal colour codes taken out
    const output = `${result.stdout}${result.stderr}`.replace(/\x1b\[[0-9;]*m/g, '');
    if (!emitted) throw new BuildFailedError('nest build', output);
    log(`warning: nest build reported errors but emitted dist/; benchmarking it anyway:\n${output.trim()}`);
  }
  return true;
}

/** The files the compiled baseline, memory probe and held-request client need, relative to the root. */
function benchSources(): string[] {
  const wire = readdirSync(join(ROOT, 'src', 'wire'))
    .filter((name) => name.endsWith('.ts') && !name.endsWith('.spec.ts'))
    .map((name) => join('src', 'wire', name));
  const support = ['held-client.ts', 'held-load.ts', 'processes.ts', 'paths.ts'].map((name) => join('bench', 'support', name));
  // The queues' declarations (names, arguments, bindings) are the service's own, so both targets declare the same.
  const topology = join('src', 'broker', 'amqp-topology.ts');
  return [join('bench', 'baseline.ts'), join('bench', 'memory-probe.ts'), ...support, ...wire, topology];
}

export interface CompiledBench {
  baseline: string;
  probe: string;
  heldClient: string;
}

/**
 * Transpiles the baseline (with the Vumi codec it imports), the memory probe
 * and the held-request client to plain JavaScript under bench/results/build,
 * so that they run without ts-node's compiler in memory, as the built service does.
 */
export function compileBenchTargets(): CompiledBench {
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.CommonJS,
    target: ts.ScriptTarget.ES2022,
    esModuleInterop: true,
  };
  for (const file of benchSources()) {
    const source = readFileSync(join(ROOT, file), 'utf8');
    const output = ts.transpileModule(source, { compilerOptions: options, fileName: file });
    const target = join(BUILD_DIR, file.replace(/\.ts$/, '.js'));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, output.outputText);
  }
  return {
    baseline: join(BUILD_DIR, 'bench', 'baseline.js'),
    probe: join(BUILD_DIR, 'bench', 'memory-probe.js'),
    heldClient: join(BUILD_DIR, 'bench', 'support', 'held-client.js'),
  };
}
