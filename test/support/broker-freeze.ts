import { call } from './http-call';
import { ServiceProcess } from './service-process';

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
