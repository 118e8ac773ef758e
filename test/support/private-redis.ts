import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { freePort } from './private-broker';

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

/**
 * A redis-server of a test's own on a port of its own (never the shared
 * Redis): no persistence, killed at the end. `freeze()` stops it with
 * SIGSTOP (connections stay open, nothing answers), `thaw()` resumes it;
 * `kill()` is a crash (SIGKILL). A sentinel is the same binary with
 * `--sentinel` and a config file it may rewrite (in a temporary directory).
 */
export class PrivateRedis {
  private exited = false;

  private constructor(
    readonly port: number,
    private readonly child: ChildProcess,
    private readonly dir: string,
  ) {
    child.once('exit', () => (this.exited = true));
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** A data node; `replicaOf`: the master's port. */
  static async server(options: { replicaOf?: number; port?: number } = {}): Promise<PrivateRedis> {
    const port = options.port ?? (await freePort());
    const dir = mkdtempSync(join(tmpdir(), `redis-${port}-`));
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
    if (options.replicaOf) args.push('--replicaof', '127.0.0.1', String(options.replicaOf));
    return PrivateRedis.started(port, spawn('redis-server', args, { stdio: 'ignore' }), dir);
  }

  /** A sentinel watching `masterName` on 127.0.0.1:masterPort with a quorum of 2 and quick failovers. */
  static async sentinel(masterName: string, masterPort: number): Promise<PrivateRedis> {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), `sentinel-${port}-`));
    const conf = join(dir, 'sentinel.conf');
    writeFileSync(
      conf,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${masterName} 127.0.0.1 ${masterPort} 2`,
        `sentinel down-after-milliseconds ${masterName} 1000`,
        `sentinel failover-timeout ${masterName} 5000`,
        `sentinel parallel-syncs ${masterName} 1`,
        '',
      ].join('\n'),
    );
    return PrivateRedis.started(port, spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' }), dir);
  }

  private static async started(port: number, child: ChildProcess, dir: string): Promise<PrivateRedis> {
    const node = new PrivateRedis(port, child, dir);
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (node.exited) throw new Error(`redis-server on port ${port} exited at start`);
      const client = node.client();
      try {
        await client.connect();
        await client.ping();
        return node;
      } catch (error) {
        if (Date.now() > deadline) throw error;
      } finally {
        client.disconnect();
      }
      await sleep(50);
    }
  }

  /** A client of the test's own (not the service's). */
  client(): Redis {
    return new Redis(this.port, '127.0.0.1', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    });
  }

  /** Runs one command on a connection of its own. */
  async command(name: string, ...args: Array<string | number>): Promise<unknown> {
    const client = this.client();
    try {
      await client.connect();
      return await client.call(name, ...args);
    } finally {
      client.disconnect();
    }
  }

  freeze(): void {
    this.child.kill('SIGSTOP');
  }

  thaw(): void {
    this.child.kill('SIGCONT');
  }

  /** A crash: SIGKILL, no goodbye to the replicas or the clients. */
  async kill(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((done) => this.child.once('exit', () => done()));
    this.child.kill('SIGCONT');
    this.child.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
