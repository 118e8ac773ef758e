import { connect } from 'amqplib';
import { settleWithin } from '../../src/common/settle-within';
import { call } from '../support/http-call';
import { PrivateBroker } from '../support/private-broker';
import { AMQP_URL, ServiceProcess } from '../support/service-process';

/**
 * A shutdown that meets a broker gone quiet. Every broker round trip of the way out (cancelling
 * consumers, removing the instance queue, closing channels and connections) shares one budget,
 * PUBLISH_TIMEOUT, so the process exits within SHUTDOWN_TIMEOUT + PUBLISH_TIMEOUT whatever the
 * broker does: the sum the pod's grace period is sized by (docs/deploy.md).
 */
describe('a shutdown while the broker does not answer', () => {
  it("amqplib's channel close, overtaken by its connection's, never settles: settleWithin gives up on it", async () => {
    const connection = await connect(AMQP_URL);
    const channel = await connection.createChannel();
    const channelClosed = channel.close();
    channelClosed.catch(() => undefined);
    await connection.close();
    const started = performance.now();
    // The library's behaviour the way out guards against; if a new amqplib settles it, this says so.
    expect(await settleWithin(300, () => channelClosed)).toBe(false);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  describe('SIGTERM with the broker frozen', () => {
    let broker: PrivateBroker | undefined;
    let service: ServiceProcess | undefined;

    afterAll(async () => {
      await service?.kill();
      broker?.thaw();
      await broker?.destroy();
    });

    it('exits 0 within SHUTDOWN_TIMEOUT + PUBLISH_TIMEOUT, the connections dropped, not waited for', async () => {
      const publishTimeout = 2;
      broker = await PrivateBroker.start();
      service = await ServiceProcess.start({
        AMQP_URL: broker.url,
        REPLY_EXPECTED: 'true',
        SHUTDOWN_TIMEOUT: '2',
        PUBLISH_TIMEOUT: String(publishTimeout),
        // Heartbeats far apart: the frozen node is not noticed before the way out is over, so every
        // close is sent to a broker that never answers (the old way out waited for the heartbeat: 60 s).
        AMQP_HEARTBEAT: '30',
        INBOUND_QUEUE_CHECK_INTERVAL: '1',
      });
      expect((await call(service.path(service.config.readinessPath))).status).toBe(200);
      broker.freeze();
      const signalled = performance.now();
      service.signal('SIGTERM');
      const status = await service.exited(30_000);
      const seconds = (performance.now() - signalled) / 1000;
      process.stdout.write(`SIGTERM with the broker frozen: exit ${status.code} after ${seconds.toFixed(2)} s\n`);
      expect(status.code).toBe(0);
      // No held request: SHUTDOWN_TIMEOUT is not waited; the way out takes PUBLISH_TIMEOUT, a close floor, and start-up slack.
      expect(seconds).toBeLessThan(publishTimeout + 3);
      expect(service.output()).toContain('did not answer the close in time: connection dropped');
      expect(service.errorLines()).toEqual([]);
    });
  });
});
