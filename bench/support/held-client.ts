import { HeldLoad } from './held-load';
import { BenchProcess, sleep } from './processes';

/**
 * The held-request load generator in a child process of its own: each held
 * request is a socket, and a process's file limit (often 20,000 where it
 * cannot be raised) must not be shared between the two targets, whose
 * measurements overlap (one target's time-out wait, the other's climb).
 */

interface Command {
  id: number;
  cmd: 'open' | 'state';
  url?: string;
  count?: number;
}

export interface HeldState {
  opened: number;
  settled: number;
  errors: number;
  statuses: Record<string, number>;
}

/** Parent side: drives a child running this file. */
export class HeldClient {
  private nextId = 1;
  private readonly waiting = new Map<number, (state: HeldState) => void>();

  constructor(
    private readonly proc: BenchProcess,
    private readonly url: string,
  ) {
    proc.child.on('message', (message: { id: number; state: HeldState }) => {
      this.waiting.get(message.id)?.(message.state);
      this.waiting.delete(message.id);
    });
  }

  static start(name: string, url: string, script: string[], fileLimit: number): HeldClient {
    return new HeldClient(BenchProcess.start({ name, nodeArgs: script, env: {}, fileLimit, ipc: true }), url);
  }

  /** Opens `count` more held requests; resolves once all are sent. */
  open(count: number): Promise<HeldState> {
    return this.send({ cmd: 'open', url: this.url, count });
  }

  state(): Promise<HeldState> {
    return this.send({ cmd: 'state' });
  }

  async waitAllSettled(ms: number): Promise<HeldState> {
    const deadline = Date.now() + ms;
    let state = await this.state();
    while (state.settled < state.opened && Date.now() < deadline) {
      await sleep(250);
      state = await this.state();
    }
    return state;
  }

  /** Ends the child, and with it every socket it still holds. */
  async close(): Promise<void> {
    await this.proc.stop(2000);
  }

  private send(command: Omit<Command, 'id'>): Promise<HeldState> {
    if (!this.proc.alive) return Promise.reject(new Error(`${this.proc.name} is gone; see ${this.proc.logFile}`));
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.proc.child.send({ ...command, id });
    });
  }
}

/** Child side. */
function serve(): void {
  let load: HeldLoad | undefined;
  const state = (): HeldState => ({
    opened: load?.opened ?? 0,
    settled: load?.settled ?? 0,
    errors: load?.errors ?? 0,
    statuses: load?.statusCounts() ?? {},
  });
  process.on('message', (command: Command) => {
    if (command.cmd === 'state') {
      process.send?.({ id: command.id, state: state() });
      return;
    }
    load ??= new HeldLoad(command.url as string);
    void load.open(command.count ?? 0).then(() => process.send?.({ id: command.id, state: state() }));
  });
  process.once('SIGTERM', () => {
    load?.close();
    process.exit(0);
  });
}

if (require.main === module && process.send) serve();
