import { CallRecord } from '../support/load-loop';
import { ServiceProcess } from '../support/service-process';

export const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

export { drainQueue } from '../support/queue-drain';
export { startEcho, stopChild } from '../support/echo-application';

export interface DeliveryCount {
  answered200: number;
  lost: string[];
  duplicates: number;
}

/** Every message_id answered 200 must be in the queue: what is missing is lost, extra copies are duplicates. */
export function countDelivery(records: CallRecord[], queued: Map<string, number>): DeliveryCount {
  const answered = records.filter((record) => record.status === 200 && record.messageId).map((r) => r.messageId!);
  let duplicates = 0;
  for (const count of queued.values()) duplicates += count - 1;
  return { answered200: answered.length, lost: answered.filter((id) => !queued.has(id)), duplicates };
}

interface BrokerDetails {
  state: string;
  node: string | null;
  connections: Record<'publish' | 'consume', { state: string; node: string | null }>;
}

/** The service's own account of its broker connections (the health path's details). */
export async function brokerHealth(service: ServiceProcess): Promise<BrokerDetails> {
  const response = await fetch(service.path(service.config.healthPath));
  const body = (await response.json()) as { details: { broker: BrokerDetails } };
  return body.details.broker;
}

/** Polls health until both connections are connected, then names the publishing node. */
export async function waitForConnected(service: ServiceProcess, timeoutMs: number): Promise<BrokerDetails> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const broker = await brokerHealth(service).catch(() => undefined);
    if (broker?.state === 'connected') return broker;
    if (Date.now() >= deadline) throw new Error(`service not connected within ${timeoutMs} ms: ${JSON.stringify(broker)}`);
    await sleep(200);
  }
}

/** One line a person can read in the test output and copy into docs/guarantees.md. */
export function report(name: string, figures: Record<string, unknown>): void {
  process.stdout.write(`CLUSTER FIGURES ${name}: ${JSON.stringify(figures)}\n`);
}
