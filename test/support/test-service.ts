import { randomBytes } from 'node:crypto';
import { LoggerService } from '@nestjs/common';
import { loadConfig } from '../../src/config/config-loader';
import { TransportConfig } from '../../src/config/transport-config';
import { RunningService, startService } from '../../src/bootstrap';
import { VumiPeer } from './vumi-peer';

/** The broker of the test run: scripts/with-broker.sh exports AMQP_URL. */
export const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672/';

/** A transport name no other suite uses, so suites never see each other's messages. */
export function uniqueTransportName(prefix = 'test'): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

export interface TestService extends RunningService {
  config: TransportConfig;
  peer: VumiPeer;
  api(query?: Record<string, string>): string;
  /** Shuts the service down and deletes the transport's queues. */
  stop(): Promise<void>;
}

/**
 * Starts the real service in this process on a free port against the real
 * broker, with env-style overrides, plus a VumiPeer for the application side.
 * Logs are off unless a logger is given (e.g. a CapturingLogger to assert on).
 */
export async function startTestService(env: Record<string, string> = {}, logger?: LoggerService): Promise<TestService> {
  const config = loadConfig({
    AMQP_URL,
    TRANSPORT_NAME: uniqueTransportName(),
    WEB_PORT: '0',
    HOST: '127.0.0.1',
    AMQP_RECONNECT_INTERVAL: '0.5',
    LOG_LEVEL: 'warn',
    // Held requests left at the end of a test should not keep its teardown waiting.
    SHUTDOWN_TIMEOUT: '1',
    // CI runs the end-to-end suites once more with FAST_PATHS=off (.ci/run): public library APIs only.
    ...(process.env.FAST_PATHS ? { FAST_PATHS: process.env.FAST_PATHS } : {}),
    ...env,
  });
  const peer = await VumiPeer.connect(config.amqpUrls[0], config.transportName);
  const service = await startService(config, logger ?? false);
  await service.ready; // it listens before the broker answers; the tests want it taking traffic
  const webPath = config.webPath.startsWith('/') ? config.webPath : `/${config.webPath}`;
  return {
    ...service,
    config,
    peer,
    api: (query = {}) => `${service.url}${webPath}?${new URLSearchParams(query).toString()}`,
    stop: async () => {
      await service.shutdown();
      await peer.destroy();
    },
  };
}
