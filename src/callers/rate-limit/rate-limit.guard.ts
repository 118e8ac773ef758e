import { CanActivate, ExecutionContext, Inject, Injectable, Logger } from '@nestjs/common';
import { Request, Response } from 'express';
import { TRANSPORT_CONFIG } from '../../config/config.constants';
import { TransportConfig } from '../../config/transport-config';
import { callerOf } from '../identity/caller';
import { ClientIdentity } from '../identity/client-identity';
import { RATE_LIMITER, RateLimiter } from './rate-limiter';
import { RateLimitEvents } from './rate-limit-events';
import { rateLimitHeaders } from './rate-limit-headers';
import { RateLimitedError } from './rate-limit.errors';
import { RateLimitDecision, RateLimitPolicy } from './token-bucket';
import { ThrottledWarning } from '../../common/throttled-warning';

/**
 * Runs after BasicAuthGuard: takes a token from the authenticated caller's
 * bucket (its own rate_limit, else RATE_LIMIT_RATE/BURST), or without auth
 * from the client address's (ClientIdentity: X-Forwarded-For only from TRUST_PROXY). Refused → RateLimitedError (429); allowed → the
 * RateLimit fields go on the answer. With Redis, a Redis that fails or freezes
 * means this instance's memory (FallbackRateLimiter behind the breaker); a
 * limiter that still fails lets the request through: an outage of the
 * limiter must not become one of the API.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  private readonly logger = new Logger('RateLimit');
  private readonly defaultPolicy: RateLimitPolicy | null;
  /** At most one "limiter unavailable" line per 10 s, not one per request. */
  private readonly unavailableWarning = new ThrottledWarning();

  constructor(
    @Inject(TRANSPORT_CONFIG) config: TransportConfig,
    @Inject(RATE_LIMITER) private readonly limiter: RateLimiter,
    private readonly events: RateLimitEvents,
    private readonly identity: ClientIdentity,
  ) {
    this.defaultPolicy = config.rateLimitRate > 0 ? { rate: config.rateLimitRate, burst: config.rateLimitBurst } : null;
  }

  /** Synchronous when no policy applies (the default): no promise, no microtask per request. */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const http = context.switchToHttp();
    const req = http.getRequest<Request>();
    const caller = callerOf(req);
    const policy = caller?.rateLimit ?? this.defaultPolicy;
    if (!policy) return true;
    return this.limit(req, http.getResponse<Response>(), caller?.name, policy);
  }

  private async limit(req: Request, res: Response, callerName: string | undefined, policy: RateLimitPolicy): Promise<boolean> {
    const key = this.identity.scopeOf(req);
    const decision = await this.take(key, policy);
    if (!decision) return true;
    if (!decision.allowed) {
      this.events.rateLimited(callerName);
      throw new RateLimitedError(key, decision);
    }
    for (const [name, value] of Object.entries(rateLimitHeaders(decision))) res.setHeader(name, value);
    return true;
  }

  private async take(key: string, policy: RateLimitPolicy): Promise<RateLimitDecision | null> {
    try {
      return await this.limiter.take(key, policy);
    } catch (error) {
      if (this.unavailableWarning.due()) this.logger.warn(`Rate limiter unavailable, requests not limited: ${(error as Error).message}`);
      return null;
    }
  }
}
