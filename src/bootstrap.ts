import { INestApplication, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { AddressInfo } from 'node:net';
import { AppModule } from './app.module';
import { TransportConfig } from './config/transport-config';
import { PendingRequestsService } from './pending-requests/pending-requests.service';
import { VumiOutboundServer } from './outbound/vumi-outbound.server';
import { ShutdownService, DrainReport } from './lifecycle/shutdown.service';

export interface RunningService {
  app: INestApplication;
  port: number;
  url: string;
  /** The ordered drain, then Nest's close (server, channels, connection). */
  shutdown(): Promise<DrainReport>;
}

/**
 * Builds and starts the service from a validated configuration: the HTTP
 * server and the outbound consumer (a Nest microservice on our own
 * transport). Used by main.ts, the tests and the benchmark.
 */
export async function startService(config: TransportConfig, logger?: LoggerService | false): Promise<RunningService> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    bodyParser: false, // the API reads raw bytes itself (RequestBodyMiddleware)
    logger: logger ?? ['log', 'warn', 'error'],
  });
  configureExpress(app, config);
  app.connectMicroservice({ strategy: app.get(VumiOutboundServer) }, { inheritAppConfig: true });
  await app.startAllMicroservices();
  app.get(PendingRequestsService).startSweeping();
  await app.listen(config.webPort, config.host);
  const port = (app.getHttpServer().address() as AddressInfo).port;
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
  let shuttingDown: Promise<DrainReport> | undefined;
  const shutdown = () =>
    (shuttingDown ??= (async () => {
      const report = await app.get(ShutdownService).drain();
      await app.close();
      return report;
    })());
  return { app, port, url, shutdown };
}

function configureExpress(app: NestExpressApplication, config: TransportConfig): void {
  app.disable('x-powered-by');
  app.set('etag', false);
  // Fields are parsed by the API itself (request-fields.ts), with UTF-8 checks Express's parser lacks.
  app.set('query parser', false);
  const server = app.getHttpServer();
  server.headersTimeout = config.httpHeadersTimeout * 1000;
  server.requestTimeout = config.httpRequestTimeout * 1000;
  server.keepAliveTimeout = config.httpKeepAliveTimeout * 1000;
}
