import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { AMQP_URL, uniqueTransportName } from './support/test-service';
import { stringMatching } from './support/matchers';

/**
 * `npm run dev` as an IDE or a process manager runs it: scripts/dev.sh
 * started, its PID recorded, a signal sent to that PID. Against the real
 * broker (or a private node the script starts) and real ports; every wait is
 * bounded, nothing is timed.
 */
const ROOT = join(__dirname, '..');
const STOP_BOUND_MS = 40_000;

/** Every process whose parent is `pid`, from /proc. */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        return (
          readFileSync(`/proc/${entry}/stat`, 'utf8')
            .replace(/^.*\) /, '')
            .split(' ')[1] === String(pid)
        );
      } catch {
        return false;
      }
    })
    .map(Number);
}
const commandOf = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return undefined; // gone
  }
};
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return !/^\S+ \S+ Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^\d+ \(.*\) /, `${pid} x `)); // zombies count as gone
  } catch {
    return false;
  }
};
/** Processes whose command line mentions `text` (a private broker's directory). */
const processesMentioning = (text: string) =>
  readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => pid !== process.pid && commandOf(pid)?.includes(text));

async function until<T>(what: string, ms: number, check: () => T | undefined | false | Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms / 1000} s`);
    await new Promise((done) => setTimeout(done, 200));
  }
}

async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((done) => server.once('listening', done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

class DevLoop {
  stderr = '';
  stdout = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(readonly child: ChildProcess) {
    child.stdout!.on('data', (chunk) => (this.stdout += chunk));
    child.stderr!.on('data', (chunk) => (this.stderr += chunk));
    this.exited = new Promise((done) => child.once('exit', (code, signal) => done({ code, signal })));
  }

  static start(env: Record<string, string>): DevLoop {
    const child = spawn('bash', ['scripts/dev.sh'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH!,
        HOME: process.env.HOME ?? '/tmp',
        TRANSPORT_NAME: uniqueTransportName('dev'),
        LOG_PRETTY: 'false',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new DevLoop(child);
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** The curl line the script prints once the service answers: its URL. */
  async curlUrl(ms = 120_000): Promise<string> {
    return until('the curl line', ms, () => {
      if (this.child.exitCode !== null) throw new Error(`dev.sh exited ${this.child.exitCode}:\n${this.stderr}`);
      return /curl '([^']+)'/.exec(this.stderr)?.[1];
    });
  }

  async stop(signal: NodeJS.Signals) {
    process.kill(this.pid, signal);
    return Promise.race([
      this.exited,
      new Promise<never>((_, fail) =>
        setTimeout(() => fail(new Error(`dev.sh did not exit within ${STOP_BOUND_MS / 1000} s of ${signal}`)), STOP_BOUND_MS),
      ),
    ]);
  }

  /** Last resort for a failed test: nothing left behind (and no pipe a broker's epmd inherited keeps Jest up). */
  kill(): void {
    this.child.stdout!.destroy();
    this.child.stderr!.destroy();
    for (const pid of [...childrenOf(this.pid), this.pid]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
  }
}

describe('npm run dev (scripts/dev.sh)', () => {
  let dev: DevLoop | undefined;
  afterEach(() => {
    dev?.kill();
    dev = undefined;
  });

  it('with WEB_PORT=0: prints the port the service took; SIGTERM to the PID recorded stops the service and the echo application', async () => {
    dev = DevLoop.start({ AMQP_URL, WEB_PORT: '0' });
    const url = await dev.curlUrl();
    const port = Number(new URL(url).port);
    expect(port).toBeGreaterThan(0);
    expect(port).not.toBe(8080);
    // The PID recorded is node's own (dev.sh execs it), so signals reach the supervisor.
    expect(commandOf(dev.pid)).toMatch(/^\S*node .*scripts\/dev\.ts$/);
    const response = await fetch(url);
    expect([response.status, await response.text()]).toEqual([200, 'hello']); // reply mode, the echo application
    const started = childrenOf(dev.pid).filter((pid) => /src\/(main|demo\/echo-application)\.ts/.test(commandOf(pid) ?? ''));
    expect(started.map((pid) => commandOf(pid)!.split(' ').at(-1)).sort()).toEqual(['src/demo/echo-application.ts', 'src/main.ts']);
    // One line per request at info (LOG_REQUESTS), JSON here since LOG_PRETTY=false.
    await until('the request line', 10_000, () => /"level":"info".*"msg":"GET \/http_api 200"/.test(dev!.stdout));

    const { code } = await dev.stop('SIGTERM');
    expect(code).toBe(128 + 15);
    for (const pid of started) expect([pid, alive(pid)]).toEqual([pid, false]);
    await expect(fetch(url)).rejects.toThrow();
  });

  it('with REPLY_EXPECTED=false: no echo application, and SIGINT stops the service', async () => {
    dev = DevLoop.start({ AMQP_URL, WEB_PORT: '0', REPLY_EXPECTED: 'false' });
    const url = await dev.curlUrl();
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ message_id: stringMatching(/^[0-9a-f]{32}$/) });
    const started = childrenOf(dev.pid).filter((pid) => /src\//.test(commandOf(pid) ?? ''));
    expect(started.map((pid) => commandOf(pid)!.split(' ').at(-1))).toEqual(['src/main.ts']);
    expect(dev.stderr).toContain('no echo application');
    const { code } = await dev.stop('SIGINT');
    expect(code).toBe(128 + 2);
    for (const pid of started) expect(alive(pid)).toBe(false);
  });

  it('SIGHUP stops the private broker it started too', async () => {
    // Nothing answers here, so broker.sh starts a private node from the installed rabbitmq-server.
    dev = DevLoop.start({ AMQP_URL: `amqp://guest:guest@127.0.0.1:${await closedPort()}/`, WEB_PORT: '0', REPLY_EXPECTED: 'false' });
    const url = await dev.curlUrl(180_000);
    const brokerDir = /private broker (\S+)/.exec(dev.stderr)?.[1];
    expect(brokerDir).toBeDefined();
    expect(processesMentioning(brokerDir!).length).toBeGreaterThan(0);
    expect((await fetch(url)).status).toBe(200);
    await dev.stop('SIGHUP');
    await until('the private broker gone', 30_000, () => processesMentioning(brokerDir!).length === 0);
    expect(existsSync(brokerDir!) ? processesMentioning(brokerDir!) : []).toEqual([]);
  }, 300_000);

  it('killed outright (SIGKILL), it still leaves no service holding the port', async () => {
    dev = DevLoop.start({ AMQP_URL, WEB_PORT: '0', REPLY_EXPECTED: 'false' });
    const url = await dev.curlUrl();
    const started = childrenOf(dev.pid).filter((pid) => /src\//.test(commandOf(pid) ?? ''));
    expect(started.length).toBe(1);
    process.kill(dev.pid, 'SIGKILL');
    await dev.exited;
    await until('the orphaned service to stop itself', STOP_BOUND_MS, () => started.every((pid) => !alive(pid)));
    await expect(fetch(url)).rejects.toThrow();
  });
});
