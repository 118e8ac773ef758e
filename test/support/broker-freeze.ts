import { Answer, call, waitForStatus } from './http-call';
import { LoadLoop } from './load-loop';
import { PrivateBroker } from './private-broker';
import { ServiceProcess } from './service-process';

/** The moments of one freeze (performance.now()). */
export interface FreezeTimeline {
  frozen: number; // SIGSTOP sent
  noticed: number; // health said 503: one of the two connections' heartbeats noticed
  publishNoticed: number; // the publishing connection's heartbeat noticed too: publishes refused at once
  thawed: number; // SIGCONT sent
  ready: number; // readiness 200 again
}

export interface FreezeSteps {
  /** Answers (any status) to wait for once publishes are refused at once, before the thaw. */
  answersOnceNoticed: number;
  /** 200s to wait for from requests started after readiness came back. */
  afterThaw: { what: string; count: number; timeoutMs: number };
  /** Runs once health says 503, before the publishing connection is waited for. */
  whileFrozen?: () => Promise<void>;
}

/**
 * For the freeze suites: polls the service's health until its publishing connection is down too.
 * Each connection's heartbeat notices a frozen node on its own beat, and health turns 503 at the
 * first; publishes are refused at once only from the second, when it is the publishing one's.
 */
export async function publishingDown(service: ServiceProcess): Promise<void> {
  for (const deadline = Date.now() + 30_000; ;) {
    const answer = await call(service.path(service.config.healthPath));
    const broker = (JSON.parse(answer.body) as { error?: { broker?: { connections?: { publish?: { state?: string } } } } }).error?.broker;
    if (broker?.connections?.publish?.state !== undefined && broker.connections.publish.state !== 'connected') return;
    if (Date.now() >= deadline) throw new Error(`the publishing connection still up 30 s into the freeze: ${answer.body}`);
    await new Promise((done) => setTimeout(done, 50));
  }
}

/**
 * The freeze suites' one timeline, under `load`: SIGSTOP the node, wait for health to say 503,
 * then for the publishing connection to be down and answers to come at once, SIGCONT, wait for
 * readiness, then for 200s again.
 */
export async function freezeAndThaw(
  broker: PrivateBroker,
  service: ServiceProcess,
  load: LoadLoop,
  steps: FreezeSteps,
): Promise<{ timeline: FreezeTimeline; healthWhileFrozen: Answer }> {
  broker.freeze();
  const frozen = performance.now();
  const healthWhileFrozen = await waitForStatus(service.path(service.config.healthPath), 503, 60_000);
  const noticed = performance.now();
  await steps.whileFrozen?.();
  await publishingDown(service);
  const publishNoticed = performance.now();
  await load.waitFor('answers once the freeze is noticed', (r) => r.startedAt > publishNoticed, steps.answersOnceNoticed, 30_000);
  broker.thaw();
  const thawed = performance.now();
  await service.waitUntilReady(60_000);
  const ready = performance.now();
  const { what, count, timeoutMs } = steps.afterThaw;
  await load.waitFor(what, (r) => r.status === 200 && r.startedAt > ready, count, timeoutMs);
  return { timeline: { frozen, noticed, publishNoticed, thawed, ready }, healthWhileFrozen };
}
