import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { AddressInfo, createServer, Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SETTING_SOURCES } from '../src/config/config-sources';

/**
 * The service process itself refuses a bad configuration: one stderr line per
 * problem, exit code 1, before it listens or connects to the broker.
 */

const PROJECT_ROOT = resolve(__dirname, '..');
const RUN_TIMEOUT_MS = 60_000;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The environment of the test process without any of the service's settings, plus `env`. */
function environment(env: Record<string, string>): Record<string, string> {
  const settings = new Set<string>([...SETTING_SOURCES.map((source) => source.env), 'CONFIG_FILE']);
  const inherited = Object.entries(process.env).filter(
    (entry): entry is [string, string] => entry[1] !== undefined && !settings.has(entry[0]),
  );
  return { ...Object.fromEntries(inherited), NO_COLOR: '1', ...env };
}

function spawnMain(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main.ts'], {
    cwd: PROJECT_ROOT,
    env: environment(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Runs `src/main.ts` to its exit, with a deadline (SIGKILL past it). */
function runMain(env: Record<string, string>): Promise<Run> {
  const child = spawnMain(env);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr?.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  return new Promise((done, fail) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`src/main.ts still running after ${RUN_TIMEOUT_MS} ms\n${stdout}\n${stderr}`));
    }, RUN_TIMEOUT_MS);
    child.once('error', fail);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      done({ code, signal, stdout, stderr });
    });
  });
}

/** A TCP server that only counts the connections it is offered (stands in for the broker or holds a port). */
class Sentinel {
  connections = 0;
  private readonly sockets = new Set<Socket>();
  private constructor(private readonly server: Server) {
    server.on('connection', (socket) => {
      this.connections++;
      this.sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  static async start(): Promise<Sentinel> {
    const server = createServer();
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    return new Sentinel(server);
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((done) => this.server.close(done));
  }
}

const nonEmptyLines = (text: string) => text.split('\n').filter((line) => line.trim() !== '');

describe('the service process refuses a bad configuration', () => {
  let dir: string;
  let broker: Sentinel;
  let webPort: Sentinel;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'config-boot-'));
    broker = await Sentinel.start();
    webPort = await Sentinel.start();
  });

  afterAll(async () => {
    await broker?.close();
    await webPort?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    'TRANSPORT_NAME=Bad WEB_PORT=abc: exit 1 and one stderr line per problem',
    async () => {
      const run = await runMain({ TRANSPORT_NAME: 'Bad', WEB_PORT: 'abc', AMQP_URL: `amqp://127.0.0.1:${broker.port}/` });
      expect(run).toMatchObject({ code: 1, signal: null });
      expect(nonEmptyLines(run.stderr)).toEqual([
        'Invalid configuration:',
        '  - TRANSPORT_NAME (transport_name): must be lower case letters, digits, "_", "-" or "." (got "Bad")',
        '  - WEB_PORT (web_port): must be an integer number (got "abc")',
      ]);
      expect(run.stdout).not.toMatch(/Listening/);
    },
    RUN_TIMEOUT_MS + 5_000,
  );

  it(
    'stops before it listens or connects to the broker',
    async () => {
      // The port it would listen on is held by a sentinel: had it tried, stderr would show EADDRINUSE.
      const before = { broker: broker.connections, web: webPort.connections };
      const run = await runMain({
        TRANSPORT_NAME: 'Upper_Case',
        WEB_PORT: String(webPort.port),
        HOST: '127.0.0.1',
        AMQP_URL: `amqp://guest:guest@127.0.0.1:${broker.port}/`,
        NOISY: 'maybe',
        ALLOWED_FIELDS: 'content,to_addr',
      });
      expect(run.code).toBe(1);
      expect(nonEmptyLines(run.stderr)).toEqual([
        'Invalid configuration:',
        '  - TRANSPORT_NAME (transport_name): must be lower case letters, digits, "_", "-" or "." (got "Upper_Case")',
        '  - NOISY (noisy): must be a boolean value (got "maybe")',
        '  - ALLOWED_FIELDS (allowed_fields): "from_addr" must be allowed or have a field default',
      ]);
      expect(run.stdout + run.stderr).not.toMatch(/EADDRINUSE|Listening|Connected/);
      expect(broker.connections).toBe(before.broker);
      expect(webPort.connections).toBe(before.web);
    },
    RUN_TIMEOUT_MS + 5_000,
  );

  it(
    'names the Vumi keys of a bad CONFIG_FILE',
    async () => {
      const file = join(dir, 'vumi.yaml');
      writeFileSync(file, 'transport_name: http_api\nweb_port: 99999\nvalidation_mode: lax\n');
      const run = await runMain({ CONFIG_FILE: file, AMQP_URL: `amqp://127.0.0.1:${broker.port}/` });
      expect(run.code).toBe(1);
      expect(nonEmptyLines(run.stderr)).toEqual([
        'Invalid configuration:',
        '  - WEB_PORT (web_port): must not be greater than 65535 (got 99999)',
        '  - VALIDATION_MODE (validation_mode): must be one of the following values: strict, permissive (got "lax")',
      ]);
    },
    RUN_TIMEOUT_MS + 5_000,
  );

  // Issue 21: a URL no client can parse, or a CALLERS that is not a list, is one redacted line and exit 1, not a
  // stack trace with the password (REDIS_URL), a silent retry loop (AMQP_URL) or the hashes echoed (CALLERS).
  it.each([
    ['REDIS_URL', { REDIS_URL: 'redis://:S3cret@@host:x' }],
    ['AMQP_URL (amqp_url)', { AMQP_URL: 'amqp://u:S3cret@[bad' }],
    ['CALLERS', { CALLERS: '[{"username":"x","password_hash":"scrypt$S3cret' }],
    ['CALLERS entry 1 (x): password_hash', { CALLERS: '[{"username":"x","password_hash":"scrypt$S3cret"}]' }],
  ])(
    'an unusable %s: exit 1, one line naming it, no secret, no connection tried',
    async (setting, env) => {
      const before = broker.connections;
      const run = await runMain({ AMQP_URL: `amqp://127.0.0.1:${broker.port}/`, WEB_PORT: String(webPort.port), ...env });
      expect(run).toMatchObject({ code: 1, signal: null });
      const lines = nonEmptyLines(run.stderr);
      expect(lines).toHaveLength(2);
      expect(lines[0]).toBe('Invalid configuration:');
      expect(lines[1].startsWith(`  - ${setting}`)).toBe(true);
      expect(run.stdout + run.stderr).not.toContain('S3cret');
      expect(run.stdout).toBe('');
      expect(broker.connections).toBe(before);
    },
    RUN_TIMEOUT_MS + 5_000,
  );

  it(
    'the same start with a good configuration does connect (the sentinel sees it)',
    async () => {
      // Proves the checks above can fail: a valid config reaches the broker sentinel.
      const before = broker.connections;
      const child = spawnMain({
        TRANSPORT_NAME: 'config_boot_ok',
        WEB_PORT: '0',
        HOST: '127.0.0.1',
        AMQP_URL: `amqp://guest:guest@127.0.0.1:${broker.port}/`,
      });
      const exited = new Promise<void>((done) => child.once('close', () => done()));
      try {
        const deadline = Date.now() + RUN_TIMEOUT_MS;
        while (broker.connections === before && child.exitCode === null) {
          if (Date.now() >= deadline) throw new Error('a valid configuration never connected to the broker sentinel');
          await new Promise((done) => setTimeout(done, 50));
        }
        expect(broker.connections).toBeGreaterThan(before);
      } finally {
        child.kill('SIGKILL');
        await exited;
      }
    },
    RUN_TIMEOUT_MS + 5_000,
  );
});
