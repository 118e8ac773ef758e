import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { RESULTS_DIR } from './paths';

export interface ProcessSpec {
  name: string;
  /** Arguments to `node`. */
  nodeArgs: string[];
  env: Record<string, string>;
  /** Raise RLIMIT_NOFILE to this (or the hard limit) through a `bash -c 'ulimit -n'` wrapper. */
  fileLimit?: number;
  /** Open an IPC channel (the memory probe answers on it). */
  ipc?: boolean;
}

export class TargetExitedError extends Error {
  constructor(name: string, code: number | null, logFile: string) {
    super(`${name} exited early (code ${code}); see ${logFile}`);
    this.name = 'TargetExitedError';
  }
}

/** One child process of the benchmark; stdout and stderr go to bench/results/logs/<name>.log. */
export class BenchProcess {
  readonly exited: Promise<number | null>;
  private hasExited = false;

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
    readonly logFile: string,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    void this.exited.then(() => (this.hasExited = true));
    running.add(this);
  }

  static start(spec: ProcessSpec): BenchProcess {
    const logDir = join(RESULTS_DIR, 'logs');
    mkdirSync(logDir, { recursive: true });
    const logFile = join(logDir, `${spec.name}.log`);
    const fd = openSync(logFile, 'w');
    const stdio: Array<'ignore' | 'ipc' | number> = ['ignore', fd, fd];
    if (spec.ipc) stdio.push('ipc');
    const env = { ...process.env, ...spec.env };
    const child = spec.fileLimit
      ? // `exec` keeps the pid, so /proc/<pid> is node's own.
        spawn(
          'bash',
          [
            '-c',
            `ulimit -n ${spec.fileLimit} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$0" "$@"`,
            process.execPath,
            ...spec.nodeArgs,
          ],
          { env, stdio },
        )
      : spawn(process.execPath, spec.nodeArgs, { env, stdio });
    closeSync(fd);
    return new BenchProcess(spec.name, child, logFile);
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new TargetExitedError(this.name, null, this.logFile);
    return this.child.pid;
  }

  get alive(): boolean {
    return !this.hasExited;
  }

  /** SIGTERM (the targets drain and exit), SIGKILL after `graceMs`. */
  async stop(graceMs = 8000): Promise<void> {
    if (!this.alive) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
    running.delete(this);
  }

  /** Polls `url` until `ready(status)`; fails if the process dies or `ms` pass. */
  async waitForHttp(url: string, ready: (status: number) => boolean, ms = 60_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if (!this.alive) throw new TargetExitedError(this.name, this.child.exitCode, this.logFile);
      const status = await httpStatus(url);
      if (status !== null && ready(status)) return;
      await sleep(100);
    }
    throw new Error(`${this.name} not ready at ${url} after ${ms} ms; see ${this.logFile}`);
  }
}

/** Everything started and not yet stopped, killed if the benchmark itself is interrupted. */
const running = new Set<BenchProcess>();

export function killAll(): void {
  for (const proc of running) if (proc.alive) proc.child.kill('SIGKILL');
}

function httpStatus(url: string): Promise<number | null> {
  return new Promise((resolve) => {
    const req = request(url, { timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? null);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
    req.end();
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The file limit both this process and the targets have: the lower of our soft and the hard limit. */
export function usableFileLimit(wanted: number): number {
  const read = (flag: string) => spawnSync('bash', ['-c', `ulimit ${flag}`], { encoding: 'utf8' }).stdout.trim();
  const hard = read('-Hn') === 'unlimited' ? Infinity : Number(read('-Hn'));
  const own = read('-Sn') === 'unlimited' ? Infinity : Number(read('-Sn'));
  return Math.min(hard, own, wanted);
}
