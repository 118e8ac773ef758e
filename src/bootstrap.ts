import { INestApplication, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { AddressInfo } from 'node:net';
import { AppModule } from './app.module';
import { TransportConfig } from './config/transport-config';
import { applyServerTimeouts } from './config/server-timeouts';
import { PendingRequestsService } from './reply-path/pending-requests/pending-requests.service';
import { VumiOutboundServer } from './reply-path/outbound/vumi-outbound.server';
import { AmqpConnectionService } from './broker/amqp-connection.service';
import { whenBrokerConnected } from './broker/broker-ready';
import { ShutdownService, DrainReport } from './operations/shutdown/shutdown.service';
import { answerClientError } from './request-path/http-api/client-error';
import { mountRequestLog } from './platform/logging/logging.module';
import { mountRequestTracing } from './platform/tracing/request-tracing';
import { PinoNestLogger } from './platform/logging/pino-nest-logger';
import { mountHttpMetrics } from './operations/metrics/mount-http-metrics';
import { setupOpenApi } from './operations/openapi/openapi.setup';
import { applyConnectionLimits } from './request-path/http-server/connection-limits';
import { ApiRouteShortcut } from './request-path/http-server/api-route-shortcut';
import { mountApiErrorHandler } from './request-path/http-api/api-error-handler';
import { ExpressHttpAdapter } from './request-path/http-server/express-http-adapter';
import { hideManagementPathsFromApiPort, startManagementListener } from './operations/management/management-listener';

export interface RunningService {
  app: INestApplication;
  port: number;
  url: string;
  /** The MANAGEMENT_PORT listener (metrics, docs), when set. */
  management?: { port: number; url: string };
  /**
   * Resolves once the broker answered: both connections up and the outbound consumer
   * consuming. The service listens long before (start in any order); until then its
   * readiness is 503 and the API answers 503 + Retry-After.
   */
  ready: Promise<void>;
  /** The ordered drain, then Nest's close (server, channels, connection). */
  shutdown(): Promise<DrainReport>;
}

/**
 * Builds and starts the service from a validated configuration: the HTTP
 * server and the outbound consumer (a Nest microservice on our own
 * transport). Used by main.ts, the tests and the benchmark.
 */
export async function startService(config: TransportConfig, logger?: LoggerService | false): Promise<RunningService> {
  // Without a logger of the caller's, pino (LOG_LEVEL, LOG_PRETTY) writes JSON lines; `false` silences all.
  const usePino = logger === undefined;
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoot(config, { quietLogs: !usePino }),
    new ExpressHttpAdapter(),
    {
      bodyParser: false, // the API reads raw bytes itself (RequestBodyInterceptor, after the guards)
      // Close destroys the sockets left once the drain has answered every request: a client's open
      // connection that never sends a request would otherwise hold server.close(), and shutdown, forever.
      forceCloseConnections: true,
      ...(usePino ? { bufferLogs: true } : { logger }),
    },
  );
  if (usePino) app.useLogger(app.get(PinoNestLogger));
  configureExpress(app, config);
  mountApiErrorHandler(app, config.webPath); // the API path's next(error) answered by ApiResponder
  // Before listen(): Express middleware and routes added now come ahead of Nest's own.
  mountRequestLog(app);
  if (config.otelEnabled) mountRequestTracing(app, config);
  hideManagementPathsFromApiPort(app, config); // ahead of the metrics route and the docs
  if (config.metricsEnabled) mountHttpMetrics(app);
  if (config.docsEnabled) setupOpenApi(app, config);
  const outbound = app.get(VumiOutboundServer);
  app.connectMicroservice({ strategy: outbound }, { inheritAppConfig: true });
  await app.startAllMicroservices(); // does not wait for the broker: see VumiOutboundServer.listen
  const ready = Promise.all([whenBrokerConnected(app.get(AmqpConnectionService)), outbound.whenConsuming()]).then(() => undefined);
  app.get(PendingRequestsService).startSweeping();
  await app.init(); // registers every route, so the shortcut can resolve the API path's layers
  ApiRouteShortcut.install(app, config.webPath);
  await app.listen(config.webPort, config.host);
  const port = (app.getHttpServer().address() as AddressInfo).port;
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
  const management = await startManagementListener(app, config);
  let shuttingDown: Promise<DrainReport> | undefined;
  const shutdown = () =>
    (shuttingDown ??= (async () => {
      const report = await app.get(ShutdownService).drain();
      await app.close();
      await management?.close();
      return report;
    })());
  return { app, port, url, ready, shutdown, ...(management && { management: { port: management.port, url: management.url } }) };
}

function configureExpress(app: NestExpressApplication, config: TransportConfig): void {
  app.disable('x-powered-by');
  app.set('etag', false);
  // Fields are parsed by the API itself (request-fields.ts), with UTF-8 checks Express's parser lacks.
  app.set('query parser', false);
  const server = app.getHttpServer();
  applyServerTimeouts(server, config);
  applyConnectionLimits(server, config);
  // Requests Node's parser refuses (e.g. raw non-ASCII in the target) get a JSON 400 like the API's own.
  server.on('clientError', answerClientError);
}
