import { ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { connect } from 'amqplib';

/**
 * A RabbitMQ node of a test's own, for specs that must take the broker away
 * and bring it back (the shared broker must never be stopped). Each instance
 * lives in `.broker/private-<port>-<random>` with its own ports, cookie and
 * data, so durable queues and persistent messages survive `restart()`.
 * Needs `rabbitmq-server` installed (Debian: apt-get install rabbitmq-server).
 */

export type AmqpConnection = Awaited<ReturnType<typeof connect>>;

const PROJECT_ROOT = resolve(__dirname, '..', '..');
const BROKER_ROOT = join(PROJECT_ROOT, '.broker');
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;
const PROBE_TIMEOUT_MS = 3_000;

// Debian's /usr/sbin/rabbitmq-server re-runs itself as user rabbitmq from
// /var/lib/rabbitmq (ignoring our HOME and unable to write .broker/): use the
// real script when present, else whatever `rabbitmq-server` PATH finds.
const DEBIAN_BIN = '/usr/lib/rabbitmq/bin';
const SERVER = existsSync(join(DEBIAN_BIN, 'rabbitmq-server')) ? join(DEBIAN_BIN, 'rabbitmq-server') : 'rabbitmq-server';

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

/** A port nothing listens on right now: the kernel's pick for port 0. */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

/** Whether something accepts TCP on 127.0.0.1:port. */
function portOpen(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const finish = (open: boolean) => {
      socket.destroy();
      done(open);
    };
    socket.setTimeout(1_000, () => finish(true)); // accepted but silent: still up
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

/** One connection attempt with a hard deadline: a port can accept TCP yet never finish the handshake. */
async function connectOnce(url: string): Promise<AmqpConnection> {
  const attempt = connect(url, { timeout: PROBE_TIMEOUT_MS });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new Error(`AMQP handshake with ${url} timed out`)), PROBE_TIMEOUT_MS);
  });
  try {
    return await Promise.race([attempt, deadline]);
  } catch (error) {
    attempt.then(
      (late) => late.close().catch(() => undefined),
      () => undefined,
    );
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Connects, retrying until `timeoutMs` has passed; `giveUp` ends the wait
 * early (e.g. the broker process died). The caller owns the connection
 * (attach an 'error' listener before stopping the broker under it).
 */
export async function connectWithRetry(
  url: string,
  timeoutMs: number,
  giveUp: () => Error | undefined = () => undefined,
): Promise<AmqpConnection> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await connectOnce(url);
    } catch (error) {
      const fatal = giveUp();
      if (fatal) throw fatal;
      if (Date.now() >= deadline) {
        throw new Error(`no AMQP connection to ${url} within ${timeoutMs} ms: ${(error as Error).message}`, { cause: error });
      }
      await sleep(250);
    }
  }
}

// The node runs under this watchdog, whose stdin is a pipe from the test
// process: when that process ends in any way (even SIGKILL, where jest's
// sandbox runs no exit hooks) the pipe closes and the broker is stopped
// gracefully. SIGTERM does the same; the watchdog exits with the broker.
const WATCHDOG = `
exec 3<&0
"$0" </dev/null & server=$!
{ read -r _ <&3 || true; kill -TERM "$server" 2>/dev/null; } & reader=$!
trap 'kill -TERM "$server" 2>/dev/null' TERM
wait "$server"; status=$?
while kill -0 "$server" 2>/dev/null; do wait "$server"; status=$?; done
kill "$reader" 2>/dev/null
exit "$status"
`;

/** Folders of runs that ended without destroy(): their watchdog is gone. */
function pruneAbandoned(): void {
  let entries: string[];
  try {
    entries = readdirSync(BROKER_ROOT).filter((name) => name.startsWith('private-'));
  } catch {
    return;
  }
  for (const name of entries) {
    const dir = join(BROKER_ROOT, name);
    let pid: number;
    try {
      pid = Number(readFileSync(join(dir, 'watchdog.pid'), 'utf8'));
    } catch {
      continue; // not spawned yet: maybe another jest worker is starting it right now
    }
    try {
      process.kill(pid, 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EPERM') rmSync(dir, { recursive: true, force: true });
    }
  }
}

export interface PrivateBrokerOptions {
  /** The Erlang node name, `name@localhost`; default `private-<port>-<random>@localhost`. */
  nodeName?: string;
  /**
   * HOME of the node and of its rabbitmqctl calls: where `.erlang.cookie` is.
   * Nodes of one cluster share one (PrivateCluster); default the node's own folder.
   */
  home?: string;
}

/** Debian's real CLI script, beside the server's (the /usr/sbin wrapper re-runs as user rabbitmq). */
const CTL = existsSync(join(DEBIAN_BIN, 'rabbitmqctl')) ? join(DEBIAN_BIN, 'rabbitmqctl') : 'rabbitmqctl';
const CTL_TIMEOUT_MS = 60_000;

export class PrivateBroker {
  readonly url: string;
  private child?: ChildProcess;

  private constructor(
    readonly port: number,
    readonly dir: string,
    readonly nodeName: string,
    private readonly home: string,
  ) {
    this.url = `amqp://guest:guest@127.0.0.1:${port}/`;
  }

  /** A fresh node on free ports, answering AMQP (about 5-7 s). */
  static async start(options: PrivateBrokerOptions = {}): Promise<PrivateBroker> {
    const broker = await PrivateBroker.prepare(options);
    try {
      await broker.launch();
    } catch (error) {
      rmSync(broker.dir, { recursive: true, force: true }); // its log tail is in the error
      throw error;
    }
    return broker;
  }

  /** The node's folder and files, not started yet (PrivateCluster writes the shared cookie first). */
  static async prepare(options: PrivateBrokerOptions = {}): Promise<PrivateBroker> {
    pruneAbandoned();
    const port = await freePort();
    const id = `${port}-${randomBytes(4).toString('hex')}`;
    const dir = join(BROKER_ROOT, `private-${id}`);
    mkdirSync(join(dir, 'log'), { recursive: true });
    mkdirSync(join(dir, 'mnesia'), { recursive: true });
    writeFileSync(join(dir, 'enabled_plugins'), '[].\n'); // no plugins: faster, no management port clash
    writeFileSync(join(dir, 'rabbitmq.conf'), '# private test node; listener and paths come from the environment\n');
    writeFileSync(join(dir, 'rabbitmq-env.conf'), ''); // instead of /etc/rabbitmq/rabbitmq-env.conf
    return new PrivateBroker(port, dir, options.nodeName ?? `private-${id}@localhost`, options.home ?? dir);
  }

  /** Starts a prepared (or stopped or killed) node and waits until it answers AMQP. */
  async launchNode(): Promise<void> {
    await this.launch();
  }

  /** `kill -9` of the node (its whole process group), without any goodbye; resolves once its port refuses. */
  async kill(): Promise<void> {
    const child = this.child;
    this.killNow();
    if (child) await this.exited(child, 10_000);
    this.child = undefined;
    const deadline = Date.now() + STOP_TIMEOUT_MS;
    while (await portOpen(this.port)) {
      if (Date.now() >= deadline) throw new Error(`port ${this.port} still open after killing ${this.nodeName}`);
      await sleep(100);
    }
  }

  get running(): boolean {
    return this.child !== undefined && this.isRunning(this.child);
  }

  /** Runs `rabbitmqctl -n <this node> ...args` with the node's cookie; resolves with its stdout. */
  ctl(...args: string[]): Promise<string> {
    return new Promise((done, fail) => {
      execFile(
        CTL,
        ['-n', this.nodeName, ...args],
        { env: this.ctlEnvironment(), timeout: CTL_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 },
        (error, stdout, stderr) => {
          if (error) fail(new Error(`rabbitmqctl -n ${this.nodeName} ${args.join(' ')}: ${error.message}\n${stderr}`));
          else done(stdout);
        },
      );
    });
  }

  private ctlEnvironment(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      HOME: this.home,
      RABBITMQ_CONF_ENV_FILE: join(this.dir, 'rabbitmq-env.conf'),
      RABBITMQ_ENABLED_PLUGINS_FILE: join(this.dir, 'enabled_plugins'),
      RABBITMQ_CONFIG_FILE: join(this.dir, 'rabbitmq.conf'),
      ERL_EPMD_ADDRESS: '127.0.0.1',
    };
  }

  /** Graceful stop (queues and persistent messages flushed); resolves once the process is gone and the port refuses. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    if (this.isRunning(child)) {
      // A graceful broker stop takes about 1 s; the process group catches anything left if it hangs.
      child.kill('SIGTERM');
      if (!(await this.exited(child, STOP_TIMEOUT_MS))) {
        this.killNow();
        await this.exited(child, 5_000);
      }
    }
    this.child = undefined;
    const deadline = Date.now() + STOP_TIMEOUT_MS;
    while (await portOpen(this.port)) {
      if (Date.now() >= deadline) throw new Error(`port ${this.port} still open after stopping ${this.nodeName}`);
      await sleep(100);
    }
  }

  /** Same node name, port and data directory: durable state survives. */
  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  /** Stops the node and removes its folder. */
  async destroy(): Promise<void> {
    try {
      await this.stop();
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  /**
   * SIGSTOP to the node's process group: the node keeps its sockets open and its port accepting TCP
   * (the kernel does), but answers nothing, as a hung VM or a partition would. `thaw()` resumes it.
   */
  freeze(): void {
    this.signalGroup('SIGSTOP');
  }

  /** SIGCONT to a frozen node's process group. */
  thaw(): void {
    this.signalGroup('SIGCONT');
  }

  private signalGroup(signal: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (pid === undefined) throw new Error(`${this.nodeName} is not running`);
    process.kill(-pid, signal);
  }

  /** Synchronous last resort: SIGKILL to the node's process group. */
  killNow(): void {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }

  private async launch(): Promise<void> {
    const dir = this.dir;
    const distPort = await freePort(); // a new one each time: only the AMQP port must stay
    const output = openSync(join(dir, 'stdout.log'), 'a');
    let child: ChildProcess;
    try {
      child = spawn('/bin/sh', ['-c', WATCHDOG, SERVER], {
        cwd: dir,
        detached: true, // its own process group, so a fallback kill takes the VM along
        stdio: ['pipe', output, output],
        env: {
          ...process.env,
          HOME: this.home, // its own Erlang cookie (or its cluster's)
          RABBITMQ_NODENAME: this.nodeName,
          RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
          RABBITMQ_NODE_PORT: String(this.port),
          RABBITMQ_DIST_PORT: String(distPort),
          RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
          RABBITMQ_LOG_BASE: join(dir, 'log'),
          RABBITMQ_PID_FILE: join(dir, 'rabbitmq.pid'),
          RABBITMQ_PLUGINS_EXPAND_DIR: join(dir, 'plugins-expand'),
          RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
          RABBITMQ_ENABLED_PLUGINS: '',
          RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'),
          RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, 'advanced.config'),
          RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
          RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
          ERL_EPMD_ADDRESS: '127.0.0.1',
          ERL_CRASH_DUMP: join(dir, 'erl_crash.dump'),
        },
      });
    } finally {
      closeSync(output);
    }
    let spawnError: Error | undefined;
    child.once('error', (error) => (spawnError = error));
    child.stdin?.on('error', () => undefined); // EPIPE once the watchdog is gone
    // Neither the process nor the watchdog's pipe may keep jest alive.
    child.unref();
    (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    this.child = child;
    writeFileSync(join(dir, 'watchdog.pid'), `${child.pid}\n`);

    const died = () => {
      if (spawnError) return new Error(`cannot run the watchdog shell: ${spawnError.message}`);
      if (this.isRunning(child)) return undefined;
      // 127: the shell found no rabbitmq-server.
      const hint = child.exitCode === 127 ? ' (is rabbitmq-server installed? apt-get install -y rabbitmq-server)' : '';
      return new Error(`${this.nodeName} exited (${child.exitCode ?? child.signalCode}) while starting${hint}`);
    };
    try {
      const connection = await connectWithRetry(this.url, START_TIMEOUT_MS, died);
      await connection.close();
    } catch (error) {
      await this.stop().catch(() => undefined);
      throw new Error(`${(error as Error).message}\n${this.logTail()}`, { cause: error });
    }
  }

  private isRunning(child: ChildProcess): boolean {
    return child.exitCode === null && child.signalCode === null;
  }

  private async exited(child: ChildProcess, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.isRunning(child)) {
      if (Date.now() >= deadline) return false;
      await sleep(50);
    }
    return true;
  }

  private logTail(lines = 30): string {
    const tail = (file: string) => {
      try {
        return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
      } catch {
        return '(none)';
      }
    };
    return [
      `--- ${join(this.dir, 'stdout.log')}`,
      tail(join(this.dir, 'stdout.log')),
      `--- ${join(this.dir, 'log', `${this.nodeName}.log`)}`,
      tail(join(this.dir, 'log', `${this.nodeName}.log`)),
    ].join('\n');
  }
}
