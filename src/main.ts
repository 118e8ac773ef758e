import 'reflect-metadata';
import { InvalidConfigError, loadConfig } from './config/config-loader';
import { DOT_ENV, loadDotEnv } from './config/dot-env';

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
  // Loaded only once the configuration holds (issue 21): a bad setting exits after loading the
  // loader alone (about 0.3 s of CPU), not after Nest, the broker client and every module (1.4 s).
  const [{ Logger }, { startService }, { RuntimeLogLevel }, { startTracing }, { buildInfo }, { FastPaths }, { CallersReloader }] =
    await Promise.all([
      import('@nestjs/common'),
      import('./bootstrap'),
      import('./platform/logging/runtime-log-level'),
      import('./platform/tracing/tracing-sdk'),
      import('./config/build-info'),
      import('./config/fast-paths'),
      import('./callers/credentials/callers-reloader'),
    ]);
  // Before the service, so its first request is traced; loads the OpenTelemetry SDK only when enabled.
  const tracing = config.otelEnabled ? startTracing(config) : undefined;
  const logger = new Logger('Main');
  const service = await startService(config);
  const build = buildInfo(config);
  const fastPaths = service.app.get(FastPaths);
  logger.log(
    `Listening on ${service.url}${config.webPath.startsWith('/') ? '' : '/'}${config.webPath} ` +
      `(transport ${config.transportName}, instance ${config.instanceId}, reply_expected ${config.replyExpected}, ` +
      `version ${build.version}, revision ${build.revision}, node ${build.node}, fast paths ${fastPaths.on.join(',') || 'none'})`,
  );
  if (service.management) logger.log(`Metrics and API docs on ${service.management.url} (MANAGEMENT_PORT)`);
  void service.ready.then(() =>
    logger.log(`Broker reached ${process.uptime().toFixed(1)} s after start: publishing and consuming, ready for traffic`),
  );
  if (config.adminToken !== undefined) {
    if (service.management) logger.log(`Runtime controls on ${service.management.url}/admin/ (ADMIN_TOKEN)`);
    else logger.warn('ADMIN_TOKEN is set without MANAGEMENT_PORT: no runtime controls (they are never on WEB_PORT)');
  }
  // The callers list read again (CALLERS_FILE from disk), as `nginx -s reload` reads its files.
  const callers = service.app.get(CallersReloader);
  process.on('SIGHUP', () => callers.reload('SIGHUP'));
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
          (unexported) => {
            if (unexported) logger.warn(`Spans not exported at exit: ${unexported}`);
            process.exit(0);
          },
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
