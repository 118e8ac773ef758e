import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { InvalidConfigError, loadConfig } from './config/config-loader';
import { startService } from './bootstrap';

/** Entry point: configuration from the environment (and CONFIG_FILE), then the service. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof InvalidConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = new Logger('Main');
  const service = await startService(config);
  logger.log(
    `Listening on ${service.url}${config.webPath.startsWith('/') ? '' : '/'}${config.webPath} ` +
      `(transport ${config.transportName}, instance ${config.instanceId}, reply_expected ${config.replyExpected})`,
  );
  if (service.management) logger.log(`Metrics and API docs on ${service.management.url} (MANAGEMENT_PORT)`);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.log(`${signal} received: draining`);
      service.shutdown().then(
        () => process.exit(0),
        (error) => {
          logger.error(`Shutdown failed: ${(error as Error).stack ?? error}`);
          process.exit(1);
        },
      );
    });
  }
}

main().catch((error) => {
  process.stderr.write(`Failed to start: ${(error as Error)?.stack ?? error}\n`);
  process.exit(1);
});
