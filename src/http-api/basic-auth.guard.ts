import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { Request } from 'express';
import { TRANSPORT_CONFIG } from '../config/config.constants';
import { TransportConfig } from '../config/transport-config';
import { UnauthorizedError } from './http-api.errors';

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * HTTP Basic auth with WEB_USERNAME/WEB_PASSWORD. Credentials are compared as
 * SHA-256 digests with timingSafeEqual, so neither their length nor their
 * first differing byte shows in the answer's timing.
 */
@Injectable()
export class BasicAuthGuard implements CanActivate {
  private readonly expected: Buffer | null;

  constructor(@Inject(TRANSPORT_CONFIG) config: TransportConfig) {
    this.expected =
      config.webUsername !== undefined ? digest(`${config.webUsername}:${config.webPassword ?? ''}`) : null;
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.expected) return true;
    const header = context.switchToHttp().getRequest<Request>().headers.authorization;
    const given = header !== undefined && /^basic /i.test(header) ? header.slice(6).trim() : '';
    const decoded = Buffer.from(given, 'base64').toString('utf8');
    if (!timingSafeEqual(digest(decoded), this.expected)) throw new UnauthorizedError();
    return true;
  }
}
