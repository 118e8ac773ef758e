import { LoggerService } from '@nestjs/common';

export interface CapturedLine {
  level: 'log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal';
  context: string | undefined;
  /** The text: the message itself, or the `msg` of a structured one. */
  message: string;
  /** A structured message's other fields (message_id, reason, ...). */
  fields: Record<string, unknown>;
}

/**
 * A Nest LoggerService that keeps every line, so that end-to-end tests can
 * await a log line the way they await a message: with a deadline.
 */
export class CapturingLogger implements LoggerService {
  readonly lines: CapturedLine[] = [];
  private readonly waiters: Array<{ test: (line: CapturedLine) => boolean; resolve: (line: CapturedLine) => void }> = [];

  log(message: unknown, ...rest: unknown[]): void {
    this.capture('log', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.capture('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.capture('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.capture('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.capture('verbose', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.capture('fatal', message, rest);
  }

  /** The first line (already logged or still to come) whose message matches, within `timeoutMs`. */
  waitFor(pattern: string | RegExp, timeoutMs = 5000): Promise<CapturedLine> {
    const test = (line: CapturedLine) => (typeof pattern === 'string' ? line.message.includes(pattern) : pattern.test(line.message));
    const seen = this.lines.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = {
        test,
        resolve: (line: CapturedLine) => {
          clearTimeout(timer);
          resolve(line);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`No log line matching ${pattern} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  private capture(level: CapturedLine['level'], message: unknown, rest: unknown[]): void {
    // Nest passes the context as the last optional parameter.
    const context = typeof rest[rest.length - 1] === 'string' ? (rest[rest.length - 1] as string) : undefined;
    const line = { level, context, ...textOf(message) };
    this.lines.push(line);
    for (const waiter of [...this.waiters]) {
      if (!waiter.test(line)) continue;
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      waiter.resolve(line);
    }
  }
}

/** Services log either a string or an object with `msg` and fields (structured logging). */
function textOf(message: unknown): Pick<CapturedLine, 'message' | 'fields'> {
  if (typeof message === 'string') return { message, fields: {} };
  if (typeof message === 'object' && message !== null && typeof (message as { msg?: unknown }).msg === 'string') {
    const { msg, ...fields } = message as { msg: string };
    return { message: msg, fields };
  }
  return { message: String(message instanceof Error ? message.message : JSON.stringify(message)), fields: {} };
}
