import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadConfig } from '../../src/config/config-loader';
import { SETTING_SOURCES } from '../../src/config/config-sources';
import { TransportConfig } from '../../src/config/transport-config';
import { normalisePath } from '../../src/config/paths';
import { freePort } from './private-broker';

/** The broker of the test run (scripts/with-broker.sh exports AMQP_URL); same default as test-service.ts. */
export const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672/';

/**
 * The service as a real child process (`node -r ts-node/register/transpile-only
 * src/main.ts`), for tests that signal it, kill it, or read its memory. The
 * environment is built here from scratch (settings of the test process's own
 * environment never leak in), and validated with the service's own loader, so
 * the test knows the paths and names the child uses.
 */

const PROJECT_ROOT = resolve(__dirname, '..', '..');
const START_TIMEOUT_MS = 60_000;
const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class ServiceProcess {
  private out = '';
  private readonly exit: Promise<ExitStatus>;
  private exitStatus: ExitStatus | undefined;

  private constructor(
    private readonly child: ChildProcess,
    readonly config: TransportConfig,
    readonly url: string,
  ) {
    child.stdout?.setEncoding('utf8').on('data', (text: string) => (this.out += text));
    child.stderr?.setEncoding('utf8').on('data', (text: string) => (this.out += text));
    this.exit = new Promise((done) => child.once('exit', (code, signal) => done((this.exitStatus = { code, signal }))));
  }

  /**
   * Starts the service with these settings (plus test defaults) and waits until its liveness path
   * answers, then (unless `waitUntil: 'live'`) until its readiness path does: the service listens
   * before the broker answers, and most tests want it able to take traffic.
   */
  static async start(env: Record<string, string> = {}, options: { waitUntil?: 'live' | 'ready' } = {}): Promise<ServiceProcess> {
    for (let attempt = 1; ; attempt++) {
      const childEnv = await environment(env);
      const service = ServiceProcess.spawn(childEnv);
      try {
        await service.waitUntilLive();
        if (options.waitUntil !== 'live') await service.waitUntilReady();
        return service;
      } catch (error) {
        // Another process may take the free port between the probe and the bind: try once more.
        const portTaken = /EADDRINUSE/.test(service.output());
        await service.kill();
        if (!portTaken || attempt >= 2) throw error;
      }
    }
  }

  private static spawn(env: Record<string, string>): ServiceProcess {
    const config = loadConfig(env);
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main.ts'], {
      cwd: PROJECT_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new ServiceProcess(child, config, `http://127.0.0.1:${config.webPort}`);
  }

  get pid(): number {
    return this.child.pid as number;
  }

  get transportName(): string {
    return this.config.transportName;
  }

  /** The API URL with a query string. */
  api(query: Record<string, string> = {}): string {
    return `${this.url}${normalisePath(this.config.webPath)}?${new URLSearchParams(query).toString()}`;
  }

  path(path: string): string {
    return `${this.url}${normalisePath(path)}`;
  }

  /** Everything the child wrote to stdout and stderr so far. */
  output(): string {
    return this.out;
  }

  /** Lines of output containing `text`. */
  count(text: string): number {
    return this.out.split('\n').filter((line) => line.includes(text)).length;
  }

  /** Waits until `times` lines of output contain `text`; fails with the output's tail. */
  async waitForOutput(text: string, timeoutMs = 10_000, times = 1): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.count(text) < times) {
      if (Date.now() >= deadline) throw new Error(`"${text}" not seen ${times} times in ${timeoutMs} ms\n${this.tail()}`);
      if (this.exitStatus) throw new Error(`service exited (${JSON.stringify(this.exitStatus)})\n${this.tail()}`);
      await sleep(25);
    }
  }

  /** Lines logged at error level or above (pino JSON lines or Nest's text lines), and crashes. */
  errorLines(): string[] {
    return this.out.split('\n').filter((line) => /"level":"(error|fatal)"|\sERROR\s|Unhandled|Uncaught|^\s+at /.test(line));
  }

  tail(lines = 40): string {
    return this.out.trimEnd().split('\n').slice(-lines).join('\n');
  }

  /** Resident memory of the child in bytes (Linux /proc). */
  rss(): number {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    if (!match) throw new Error(`no VmRSS in /proc/${this.pid}/status`);
    return Number(match[1]) * 1024;
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  get hasExited(): boolean {
    return this.exitStatus !== undefined;
  }

  /** Resolves with the exit status; rejects if the child still runs after `timeoutMs`. */
  async exited(timeoutMs = 30_000): Promise<ExitStatus> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, fail) => {
      timer = setTimeout(() => fail(new Error(`service still running after ${timeoutMs} ms\n${this.tail()}`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exit, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGTERM and wait for the exit; SIGKILL if the drain overruns. For test clean-up. */
  async stop(timeoutMs = 30_000): Promise<ExitStatus> {
    if (this.exitStatus) return this.exitStatus;
    this.signal('SIGTERM');
    try {
      return await this.exited(timeoutMs);
    } catch (error) {
      await this.kill();
      throw error;
    }
  }

  /** SIGKILL and wait for the exit. */
  async kill(): Promise<ExitStatus> {
    if (!this.exitStatus) this.signal('SIGKILL');
    return this.exit;
  }

  private waitUntilLive(): Promise<void> {
    return this.waitFor200(this.config.livenessPath, 'live', START_TIMEOUT_MS);
  }

  /** Waits until the readiness path answers 200: the broker reached, publishing and consuming. */
  waitUntilReady(timeoutMs = START_TIMEOUT_MS): Promise<void> {
    return this.waitFor200(this.config.readinessPath, 'ready', timeoutMs);
  }

  private async waitFor200(path: string, what: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const url = this.path(path);
    for (;;) {
      if (this.exitStatus) throw new Error(`service exited while starting (${JSON.stringify(this.exitStatus)})\n${this.tail()}`);
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
        await response.arrayBuffer();
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() >= deadline) throw new Error(`service not ${what} within ${timeoutMs} ms\n${this.tail()}`);
      await sleep(100);
    }
  }
}

/** The child's environment: the process basics, no settings of ours, then test defaults and `env`. */
async function environment(env: Record<string, string>): Promise<Record<string, string>> {
  const settings = new Set<string>([...SETTING_SOURCES.map((source) => source.env), 'CONFIG_FILE']);
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined && !settings.has(entry[0])),
  );
  return {
    ...inherited,
    NO_COLOR: '1', // plain log lines to search
    AMQP_URL,
    TRANSPORT_NAME: `proc_${randomBytes(4).toString('hex')}`,
    INSTANCE_ID: `proc-${randomBytes(4).toString('hex')}`,
    HOST: '127.0.0.1',
    WEB_PORT: String(await freePort()),
    AMQP_RECONNECT_INTERVAL: '0.5',
    SHUTDOWN_TIMEOUT: '2', // requests a test leaves held must not stretch its clean-up
    ...env,
  };
}
