import { Inject, Injectable, LoggerService } from '@nestjs/common';
import { Level, Logger } from 'pino';
import { PINO_LOGGER } from './logging.constants';

const STACK = /\n\s+at /;

/**
 * Nest's logger, writing pino JSON lines. Nest calls it as
 * `log(message, ...params, context)`: the context becomes a `context`
 * field; a message that is an object is merged into the line (its `msg` is
 * the text), an Error becomes `err`. A disabled level costs one check.
 */
@Injectable()
export class PinoNestLogger implements LoggerService {
  constructor(@Inject(PINO_LOGGER) readonly pino: Logger) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }

  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(level: Level, message: unknown, params: unknown[]): void {
    if (!this.pino.isLevelEnabled(level)) return;
    const last = params[params.length - 1];
    const context = params.length > 0 && typeof last === 'string' && !STACK.test(last) ? last : undefined;
    const fields: Record<string, unknown> = context === undefined ? {} : { context };
    // Nest's own exception handlers pass a stack string: `error(message, stack, context)`.
    const stack = params.find((param): param is string => typeof param === 'string' && STACK.test(param));
    if (stack) fields.stack = stack;
    if (message instanceof Error) {
      fields.err = message;
      this.pino[level](fields, message.message);
    } else if (typeof message === 'object' && message !== null) {
      this.pino[level](Object.assign(fields, message));
    } else {
      this.pino[level](fields, String(message));
    }
  }
}
