import { Inject, Injectable } from '@nestjs/common';
import { Level, Logger } from 'pino';
import { TRANSPORT_CONFIG } from '../../config/config.constants';
import { TransportConfig } from '../../config/transport-config';
import { PINO_LOGGER } from './logging.constants';

/** More verbose levels, in the order a signal steps through them. */
const VERBOSE: readonly Level[] = ['debug', 'trace'];

/**
 * Changes the log level without a restart: each `next()` (main.ts calls it
 * on SIGUSR2) steps from LOG_LEVEL to `debug`, then `trace`, then back to
 * LOG_LEVEL. A cycle rather than "set level X" because a signal carries no
 * argument, and one that always returns to the configured level, so an
 * operator who lost count sends signals until the line says `LOG_LEVEL`.
 * Everything that asks pino per line (Nest's logger, the request lines)
 * follows at once; code that checked the level once at boot does not.
 */
@Injectable()
export class RuntimeLogLevel {
  private readonly cycle: readonly Level[];
  private position = 0;

  constructor(
    @Inject(TRANSPORT_CONFIG) private readonly config: TransportConfig,
    @Inject(PINO_LOGGER) private readonly pino: Logger,
  ) {
    this.cycle = [config.logLevel, ...VERBOSE.filter((level) => this.pino.levels.values[level] < this.pino.levels.values[config.logLevel])];
  }

  get level(): string {
    return this.pino.level;
  }

  /** Whether pino knows this level name (fatal … trace, silent). */
  isLevel(level: string): level is Level | 'silent' {
    return level === 'silent' || Object.prototype.hasOwnProperty.call(this.pino.levels.values, level);
  }

  /**
   * Sets any level (PUT /admin/log-level) and says so at `warn` (before the change, so that even
   * `error` or `silent` leave a trace of who silenced the log); the next SIGUSR2 steps the cycle
   * from LOG_LEVEL again.
   */
  set(level: Level | 'silent', reason: string): string {
    const previous = this.pino.level;
    this.pino.warn({ context: 'LogLevel', log_level: level, previous_log_level: previous }, `Log level ${level} after ${reason}`);
    this.pino.level = level;
    this.position = Math.max(0, this.cycle.indexOf(level as Level));
    return previous;
  }

  /** Steps to the next level of the cycle and says so (at `warn`, so any level up to it shows the line). */
  next(reason = 'SIGUSR2'): Level {
    this.position = (this.position + 1) % this.cycle.length;
    const level = this.cycle[this.position];
    const previous = this.pino.level;
    this.pino.level = level;
    const back = level === this.config.logLevel;
    this.pino.warn(
      { context: 'LogLevel', log_level: level, previous_log_level: previous },
      `Log level ${level}${back ? ' (LOG_LEVEL)' : ''} after ${reason}; next: ${this.cycle[(this.position + 1) % this.cycle.length]}`,
    );
    return level;
  }
}
