import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { loadConfig } from '../src/config/config-loader';
import { PendingRequestsService } from '../src/reply-path/pending-requests/pending-requests.service';

/**
 * The time-out sweep's cost against the number of held, unexpired requests:
 * PendingRequestsService as the service builds it (no client watch: nobody disconnects).
 * Also standalone: node -r ts-node/register/transpile-only bench/sweep-cost.ts
 */

export interface SweepCostRow {
  held: number;
  /** Requests the sweep answered (0: only unexpired ones held). */
  expired: number;
  /** Median time of one sweep, nanoseconds. */
  nsPerSweep: number;
}

function pendingWith(held: number): PendingRequestsService {
  const pending = new PendingRequestsService(loadConfig({ MAX_PENDING_REQUESTS: '1000000', MAX_PENDING_PER_CLIENT: '1000000' }));
  for (let i = 0; i < held; i++) void pending.hold(`message-${i}`, '+27831234567', 'addr:127.0.0.1');
  return pending;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Sweeps that find nothing expired, in batches; the median batch's time per sweep. */
function unexpiredCost(held: number): SweepCostRow {
  const pending = pendingWith(held);
  const perBatch = 20_000;
  for (let i = 0; i < perBatch; i++) pending.sweep(); // JIT warm-up
  const samples: number[] = [];
  for (let batch = 0; batch < 7; batch++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < perBatch; i++) pending.sweep();
    samples.push(Number(process.hrtime.bigint() - started) / perBatch);
  }
  if (pending.size !== held) throw new Error(`the sweep answered unexpired requests (${held - pending.size})`);
  return { held, expired: 0, nsPerSweep: median(samples) };
}

/** One sweep that answers the oldest `expiring` of `held` requests (fresh services, median of 5). */
function expiringCost(held: number, expiring: number): SweepCostRow {
  const timeoutMs = loadConfig({}).requestTimeout * 1000;
  const samples: number[] = [];
  let expired = 0;
  for (let run = 0; run < 5; run++) {
    const pending = pendingWith(expiring);
    const cutoff = performance.now();
    for (let i = expiring; i < held; i++) void pending.hold(`message-${i}`, '+27831234567', 'addr:127.0.0.1');
    const started = process.hrtime.bigint();
    expired = pending.sweep(cutoff + timeoutMs);
    samples.push(Number(process.hrtime.bigint() - started));
  }
  return { held, expired, nsPerSweep: median(samples) };
}

export function runSweepCost(log: (line: string) => void): SweepCostRow[] {
  Logger.overrideLogger(false); // timeOut() logs a warning per request; not what is measured here
  log('sweep cost: PendingRequestsService.sweep() with unexpired requests held');
  const rows: SweepCostRow[] = [];
  unexpiredCost(1_000); // warms sweep() up, so that the first row does not pay for the JIT
  for (const held of [0, 10_000, 100_000]) {
    rows.push(unexpiredCost(held));
    log(`  ${String(held).padStart(7)} held, none expired: ${rows.at(-1)!.nsPerSweep.toFixed(0)} ns per sweep`);
  }
  const row = expiringCost(100_000, 1_000);
  rows.push(row);
  log(`  ${String(row.held).padStart(7)} held, ${row.expired} expired: ${(row.nsPerSweep / 1000).toFixed(0)} us per sweep`);
  return rows;
}

if (require.main === module) runSweepCost((line) => process.stdout.write(`${line}\n`));
