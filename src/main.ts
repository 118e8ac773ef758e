import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { Logger } from '@nestjs/common';
import { InvalidConfigError, loadConfig } from './config/config-loader';
import { startService } from './bootstrap';
import { RuntimeLogLevel } from './logging/runtime-log-level';
import { startTracing } from './tracing/tracing-sdk';

/** The dotenv file of the working directory, loaded when present (`npm run dev`, a local `node dist/main.js`). */
const DOT_ENV = '.env';

/**
 * Fills process.env from `.env` before the configuration is read, so that
 * the config loader stays the only reader of the environment. Variables set
 * in the real environment win over the file (Node's loadEnvFile never
 * overrides). Containers have no `.env` (.dockerignore keeps it out).
 */
function loadDotEnv(): void {
  if (!existsSync(DOT_ENV)) return;
  // process.loadEnvFile arrived in Node 20.12; on an older Node say so rather than ignore the file.
  if (typeof process.loadEnvFile !== 'function') throw new Error(`${DOT_ENV} found but this Node (${process.version}) cannot load it; use Node 20.12+`);
  process.loadEnvFile(DOT_ENV);
}

/** Entry point: configuration from the environment (and CONFIG_FILE), then the service. */
async function main(): Promise<void> {
  try {
    loadDotEnv();
  } catch (error) {
    process.stderr.write(`${DOT_ENV}: ${(error as Error).message}\n`);
    process.exit(1);
  }
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
  // Before the service, so its first request is traced; loads the OpenTelemetry SDK only when enabled.
  const tracing = config.otelEnabled ? startTracing(config) : undefined;
  const logger = new Logger('Main');
  const service = await startService(config);
  logger.log(
    `Listening on ${service.url}${config.webPath.startsWith('/') ? '' : '/'}${config.webPath} ` +
      `(transport ${config.transportName}, instance ${config.instanceId}, reply_expected ${config.replyExpected})`,
  );
  if (service.management) logger.log(`Metrics and API docs on ${service.management.url} (MANAGEMENT_PORT)`);
  // A log level change without a restart (docs/operating.md): LOG_LEVEL → debug → trace → LOG_LEVEL.
  const logLevel = service.app.get(RuntimeLogLevel);
  process.on('SIGUSR2', () => logLevel.next('SIGUSR2'));
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.log(`${signal} received: draining`);
      service
        .shutdown()
        .then(() => tracing?.shutdown())
        .then(
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
