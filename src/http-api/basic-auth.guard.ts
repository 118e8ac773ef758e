import { CanActivate, ExecutionContext, Inject, Injectable, Optional } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { Request } from 'express';
import { TRANSPORT_CONFIG } from '../config/config.constants';
import { TransportConfig } from '../config/transport-config';
import { attachCaller, Caller } from '../callers/caller';
import { CallerCredentials } from '../callers/caller-credentials.service';
import { UnauthorizedError } from './http-api.errors';

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * HTTP Basic auth with WEB_USERNAME/WEB_PASSWORD and/or the callers list
 * (CALLERS_FILE, CALLERS). WEB_PASSWORD is compared as SHA-256 digests with
 * timingSafeEqual, so neither its length nor its first differing byte shows
 * in the answer's timing; listed callers are checked by CallerCredentials
 * (hashed passwords, cached). The authenticated caller goes on the request.
 */
@Injectable()
export class BasicAuthGuard implements CanActivate {
  private readonly expected: Buffer | null;
  private readonly webCaller: Caller | null;
  private readonly list: CallerCredentials | null;

  constructor(@Inject(TRANSPORT_CONFIG) config: TransportConfig, @Optional() callers?: CallerCredentials) {
    this.expected =
      config.webUsername !== undefined ? digest(`${config.webUsername}:${config.webPassword ?? ''}`) : null;
    this.webCaller = config.webUsername !== undefined ? { name: config.webUsername } : null;
    this.list = callers?.configured ? callers : null;
  }

  /** Synchronous for WEB_USERNAME alone; a listed caller's check may have to hash. */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (!this.expected && !this.list) return true;
    const request = context.switchToHttp().getRequest<Request>();
    const header = request.headers.authorization;
    const given = header !== undefined && /^basic /i.test(header) ? header.slice(6).trim() : '';
    const decoded = Buffer.from(given, 'base64').toString('utf8');
    if (this.expected && timingSafeEqual(digest(decoded), this.expected)) {
      attachCaller(request, this.webCaller as Caller);
      return true;
    }
    if (!this.list) throw new UnauthorizedError();
    return this.list.verify(decoded).then((caller) => {
      if (!caller) throw new UnauthorizedError();
      attachCaller(request, caller);
      return true;
    });
  }
}
