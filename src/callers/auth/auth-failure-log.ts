import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { AuthEvents, AuthFailure } from './auth-events';

/** At most one line per this many ms, whatever the flood. */
export const LOG_EVERY_MS = 10_000;

/** User names are logged up to this many characters: they are whatever the client sent. */
const NAME_CHARS = 64;

/**
 * Logs failed authentications at `warn`, with the client address and the
 * user name sent (never the password), at most one line per LOG_EVERY_MS:
 * the line names the latest failure and how many were left unlogged since
 * the previous line, so a flood is visible without filling the disk. A
 * missing Authorization header is the normal first step of a Basic
 * challenge and is only counted (metrics), not logged.
 */
@Injectable()
export class AuthFailureLog implements OnModuleInit {
  private readonly logger = new Logger('Auth');
  private lastLine = -Infinity;
  private unlogged = 0;
  /** Milliseconds; unit tests drive it. */
  clock: () => number = Date.now;

  constructor(private readonly events: AuthEvents) {}

  onModuleInit(): void {
    this.events.onFailure((failure) => this.record(failure));
  }

  record(failure: AuthFailure): void {
    if (failure.reason === 'missing') return;
    const now = this.clock();
    if (now - this.lastLine < LOG_EVERY_MS) {
      this.unlogged += 1;
      return;
    }
    const more = this.unlogged > 0 ? ` (and ${this.unlogged} more failed authentications since the last line)` : '';
    this.lastLine = now;
    this.unlogged = 0;
    this.logger.warn({
      msg: `Failed authentication (${failure.reason}) for user ${describeName(failure.username)} from ${failure.address}${more}`,
      reason: failure.reason,
      client_address: failure.address,
      username: failure.username === undefined ? null : failure.username.slice(0, NAME_CHARS),
    });
  }
}

/** JSON-quoted and cut: control characters and quotes in a sent name cannot forge log text. */
function describeName(username: string | undefined): string {
  if (username === undefined) return '(none)';
  const cut = username.length > NAME_CHARS ? `${username.slice(0, NAME_CHARS)}...` : username;
  return JSON.stringify(cut);
}
