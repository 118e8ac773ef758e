// Owns: pino logs, the Nest logger on top, request ids and the request log.
// May import: itself and the layers below it in .dependency-cruiser.cjs: wire, common, config, platform/lifecycle.
import { DynamicModule, Global, INestApplication, Module } from '@nestjs/common';
import pino from 'pino';
import { TransportConfig } from '../../config/transport-config';
import { PINO_LOGGER } from './logging.constants';
import { PinoNestLogger } from './pino-nest-logger';
import { logDestination, pinoOptions } from './pino-options';
import { RequestLog } from './request-log';
import { RuntimeLogLevel } from './runtime-log-level';

/**
 * Structured logs: one root pino logger (LOG_LEVEL, LOG_PRETTY), Nest's
 * logger on top of it, and request ids. `silent` keeps the request ids and
 * their header but writes nothing (tests that bring their own Nest logger).
 */
@Global()
@Module({})
export class LoggingModule {
  static forRoot(config: TransportConfig, silent = false): DynamicModule {
    const root = pino(pinoOptions(config, silent), logDestination(config, silent));
    return {
      module: LoggingModule,
      providers: [{ provide: PINO_LOGGER, useValue: root }, PinoNestLogger, RequestLog, RuntimeLogLevel],
      exports: [PINO_LOGGER, PinoNestLogger, RuntimeLogLevel],
    };
  }
}

/**
 * Mounts the request ids at the Express level, ahead of every Nest
 * middleware, so that even the body middleware's 413 carries one.
 */
export function mountRequestLog(app: INestApplication): void {
  app.use(app.get(RequestLog).middleware);
}
