import { JsonObject } from '../../src/wire/vumi-message';
import { TestService } from './test-service';

export interface HeldCall {
  /** The HTTP answer, once the service gives one. */
  response: Promise<Response>;
  /** The inbound message the service published for it (so the request is held by now). */
  inbound: JsonObject;
  /** Whether the HTTP answer (or a failure) has come yet. */
  answered(): boolean;
}

/** Sends a request in reply mode and waits until its inbound message is on the broker. */
export async function sendHeld(service: TestService, fields: Record<string, string>, signal?: AbortSignal): Promise<HeldCall> {
  const response = fetch(service.api({ from_addr: '123', content: 'hello', ...fields }), { signal });
  let settled = false;
  // An aborted fetch rejects; the test awaits something else then, so keep the rejection handled.
  response.then(
    () => (settled = true),
    () => (settled = true),
  );
  const inbound = await service.peer.nextInbound();
  return { response, inbound, answered: () => settled };
}

export interface HealthAnswer {
  status: number;
  body: JsonObject & { pending_requests: number };
}

export async function health(service: TestService): Promise<HealthAnswer> {
  const response = await fetch(`${service.url}/health`);
  return { status: response.status, body: (await response.json()) as HealthAnswer['body'] };
}

/** Polls `probe` until it returns true, failing after `timeoutMs`: a deadline, not a sleep. */
export async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`Not ${what} within ${timeoutMs} ms`);
    await delay(25);
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
