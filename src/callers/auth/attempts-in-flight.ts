import { createHash } from 'node:crypto';

/**
 * The authentication attempts in flight, one per distinct credentials, so
 * that a cold instance knows its callers (issue 21): the first request with
 * some `user:password` (the leader) takes the failure tokens and runs the
 * check; a request with the same credentials arriving meanwhile waits for
 * the leader's outcome and takes no token. When the leader got in, so does
 * the follower (the password is then in the verified cache). When it did not,
 * each follower makes its own attempt: its own tokens, its own failure. One
 * token per request, as if it had come alone, so that waiting behind
 * someone else's guess never makes guessing cheaper.
 *
 * Keyed by the SHA-256 of the credentials (never the password itself), from
 * the leader's first await to its verdict; bounded by the requests in flight.
 */
export class AttemptsInFlight {
  private readonly leaders = new Map<string, Promise<boolean>>();

  /** Settles with whether the leader for these credentials got in, or undefined when there is none. */
  leaderFor(credentials: string): Promise<boolean> | undefined {
    return this.leaders.get(keyOf(credentials));
  }

  /** Runs `attempt`; while it runs, it is the leader for these credentials unless another already is. */
  lead<T>(credentials: string, attempt: () => Promise<T>): Promise<T> {
    const key = keyOf(credentials);
    const running = attempt();
    if (!this.leaders.has(key)) {
      const verdict = running.then(
        () => true,
        () => false,
      );
      this.leaders.set(key, verdict);
      void verdict.then(() => this.leaders.get(key) === verdict && this.leaders.delete(key));
    }
    return running;
  }

  /** Credentials with a leader right now (a test hook). */
  get size(): number {
    return this.leaders.size;
  }
}

function keyOf(credentials: string): string {
  return createHash('sha256').update(credentials, 'utf8').digest('base64');
}
