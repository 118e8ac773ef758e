import { readFileSync } from 'node:fs';
import type { ProbeReply } from '../memory-probe';
import { BenchProcess } from './processes';

export interface ProcMemory {
  /** Resident set now, bytes (VmRSS). */
  rss: number;
  /** Peak resident set since the process started, bytes (VmHWM). */
  hwm: number;
}

/** Reads a process's memory from /proc (Linux); undefined once it is gone. */
export function readProcMemory(pid: number): ProcMemory | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** Samples a process's RSS every `intervalMs` while a round runs, keeping the peak. */
export class RssSampler {
  private timer: NodeJS.Timeout | undefined;
  private peakValue = 0;

  constructor(
    private readonly pid: number,
    private readonly intervalMs = 200,
  ) {}

  start(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    return this;
  }

  /** Stops sampling; returns the peak RSS seen, in bytes. */
  stop(): number {
    if (this.timer) clearInterval(this.timer);
    this.sample();
    return this.peakValue;
  }

  private sample(): void {
    const memory = readProcMemory(this.pid);
    if (memory && memory.rss > this.peakValue) this.peakValue = memory.rss;
  }
}

export interface MemoryReading {
  rss: number;
  heapUsed: number | null;
  heapTotal: number | null;
  external: number | null;
}

/**
 * After a garbage collection, asks the target's memory probe (bench/memory-probe.ts)
 * for its heap and reads its RSS from /proc; without a probe, RSS only.
 */
export async function readTargetMemory(proc: BenchProcess, ms = 10_000): Promise<MemoryReading> {
  const child = proc.child;
  let heap: ProbeReply | undefined;
  if (child.connected) {
    heap = await new Promise<ProbeReply | undefined>((resolve) => {
      const timer = setTimeout(() => done(undefined), ms);
      const onMessage = (message: ProbeReply) => message?.type === 'memory' && done(message);
      function done(reply: ProbeReply | undefined) {
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve(reply);
      }
      child.on('message', onMessage);
      child.send({ type: 'memory' });
    });
  }
  const rss = readProcMemory(proc.pid)?.rss ?? heap?.rss ?? 0;
  return {
    rss,
    heapUsed: heap?.heapUsed ?? null,
    heapTotal: heap?.heapTotal ?? null,
    external: heap?.external ?? null,
  };
}
