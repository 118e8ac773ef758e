import { CanActivate, ExecutionContext, Inject, Injectable, Optional } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { Request } from 'express';
import { TRANSPORT_CONFIG } from '../../config/config.constants';
import { TransportConfig } from '../../config/transport-config';
import { attachCaller, Caller } from '../../callers/identity/caller';
import { CallerCredentials } from '../../callers/credentials/caller-credentials';
import { ClientIdentity } from '../../callers/identity/client-identity';
import { AuthEvents, AuthFailureReason } from '../../callers/auth/auth-events';
import { AdmittedAttempt, AuthFailureThrottle } from '../../callers/auth/auth-failure-throttle';
import { AttemptsInFlight } from '../../callers/auth/attempts-in-flight';
import { AuthThrottledError, VerificationsBusyError } from '../../callers/auth/auth.errors';
import { UnauthorizedError } from './http-api.errors';

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * HTTP Basic auth with WEB_USERNAME/WEB_PASSWORD and/or the callers list
 * (CALLERS_FILE, CALLERS), in the order that makes a wrong password cost
 * the client more than the service:
 *
 * 1. no credentials → 401 (no work at all);
 * 2. WEB_PASSWORD (a SHA-256 compared with timingSafeEqual: neither its
 *    length nor its first differing byte shows in the timing) or a listed
 *    caller's recently verified password → in, with no hash and no throttle;
 * 3. the same credentials as an attempt in flight → wait for its verdict and
 *    take no token: in if it got in, else an attempt of one's own (below);
 *    a cold instance under load lets its real callers in (AttemptsInFlight);
 * 4. anything else is an attempt: the client address's and the user name's
 *    failed-authentication buckets each give a token, or 429 (no hash);
 * 5. then the check (CallerCredentials: bounded, off the main thread); a
 *    right password gives the tokens back, so the buckets count failures,
 *    and makes its address known for the name (it then skips the name's
 *    bucket, whatever a flood from elsewhere did to it).
 *
 * Every refusal is reported to AuthEvents (metrics, the rate-limited log).
 * The authenticated caller goes on the request.
 */
@Injectable()
export class BasicAuthGuard implements CanActivate {
  private readonly expected: Buffer | null;
  private readonly webCaller: Caller | null;
  private readonly list: CallerCredentials | null;
  private readonly inFlight = new AttemptsInFlight();

  constructor(
    @Inject(TRANSPORT_CONFIG) private readonly config: TransportConfig,
    private readonly identity: ClientIdentity,
    private readonly throttle: AuthFailureThrottle,
    private readonly events: AuthEvents,
    @Optional() callers?: CallerCredentials,
  ) {
    this.expected = config.webUsername !== undefined ? digest(`${config.webUsername}:${config.webPassword ?? ''}`) : null;
    this.webCaller = config.webUsername !== undefined ? { name: config.webUsername } : null;
    this.list = callers?.configured ? callers : null;
  }

  /** Synchronous for the right WEB_PASSWORD or a recently verified caller; anything else asks the throttles. */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (!this.expected && !this.list) return true;
    const request = context.switchToHttp().getRequest<Request>();
    const header = request.headers.authorization;
    const given = header !== undefined && /^basic /i.test(header) ? header.slice(6).trim() : '';
    const decoded = Buffer.from(given, 'base64').toString('utf8');
    // Compared even when nothing was sent: every input costs the same one comparison.
    if (this.expected && timingSafeEqual(digest(decoded), this.expected)) {
      attachCaller(request, this.webCaller as Caller);
      return true;
    }
    if (given === '') throw this.refuse(request, 'missing', undefined);
    const known = this.list?.recall(decoded);
    if (known) {
      attachCaller(request, known);
      return true;
    }
    const leader = this.inFlight.leaderFor(decoded);
    if (leader) return this.follow(leader, request, decoded);
    return this.inFlight.lead(decoded, () => this.attempt(request, decoded));
  }

  /** Waits, with no token, for an attempt in flight with the same credentials; if it failed, attempts alone. */
  private async follow(leader: Promise<boolean>, request: Request, decoded: string): Promise<boolean> {
    const known = (await leader) ? this.list?.recall(decoded) : undefined;
    if (known) {
      attachCaller(request, known);
      return true;
    }
    return this.inFlight.lead(decoded, () => this.attempt(request, decoded));
  }

  private async attempt(request: Request, decoded: string): Promise<boolean> {
    const colon = decoded.indexOf(':');
    const username = colon === -1 ? undefined : decoded.slice(0, colon);
    const address = this.identity.addressOf(request);
    const admission = await this.throttle.admit(address, username);
    if (!admission.allowed) {
      this.events.failed({ reason: 'throttled', address, username });
      throw new AuthThrottledError(`${admission.scope}:${address}`, admission.decision);
    }
    if (!this.list) throw this.refuse(request, this.reasonWithoutList(username), username);
    const verification = await this.verify(decoded, admission, address, username);
    if (!verification.caller) {
      // A wrong WEB_PASSWORD beside a list is a wrong password, not an unknown user.
      const reason = username !== undefined && username === this.config.webUsername ? 'wrong_password' : verification.reason;
      throw this.refuse(request, reason, username);
    }
    await this.throttle.succeeded(admission);
    attachCaller(request, verification.caller);
    return true;
  }

  private async verify(decoded: string, admission: AdmittedAttempt, address: string, username: string | undefined) {
    try {
      return await (this.list as CallerCredentials).verify(decoded);
    } catch (error) {
      if (error instanceof VerificationsBusyError) {
        // Never judged: its tokens go back, the client only waits a second.
        await this.throttle.refund(admission);
        this.events.failed({ reason: 'busy', address, username });
      }
      throw error;
    }
  }

  private reasonWithoutList(username: string | undefined): AuthFailureReason {
    if (username === undefined) return 'malformed';
    return username === this.config.webUsername ? 'wrong_password' : 'unknown_user';
  }

  private refuse(request: Request, reason: AuthFailureReason, username: string | undefined): UnauthorizedError {
    this.events.failed({ reason, address: this.identity.addressOf(request), username });
    return new UnauthorizedError();
  }
}
