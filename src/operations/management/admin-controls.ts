import { Inject, Injectable, Logger } from '@nestjs/common';
import { Request } from 'express';
import { IncomingMessage, ServerResponse } from 'node:http';
import { createHash, timingSafeEqual } from 'node:crypto';
import { TRANSPORT_CONFIG } from '../../config/config.constants';
import { TransportConfig } from '../../config/transport-config';
import { pathOf } from '../../config/paths';
import { JSON_UTF8 } from '../../common/content-types';
import { suppressedNote, ThrottledLines } from '../../common/throttled-lines';
import { LifecycleService } from '../../platform/lifecycle/lifecycle.service';
import { RuntimeLogLevel } from '../../platform/logging/runtime-log-level';
import { AuthFailureThrottle } from '../../callers/auth/auth-failure-throttle';
import { ClientIdentity } from '../../callers/identity/client-identity';
import { CallersReloader } from '../../callers/credentials/callers-reloader';

/** Where the runtime controls live on MANAGEMENT_PORT. */
export const ADMIN_PREFIX = '/admin/';

/** A control's body is a small JSON object at most. */
const BODY_LIMIT = 1024;

interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
}

type Action = (req: IncomingMessage, address: string) => Answer | Promise<Answer>;

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * The runtime controls (ADMIN_TOKEN with MANAGEMENT_PORT): reload the callers, set the log level,
 * pause and resume intake. `Authorization: Bearer <ADMIN_TOKEN>`, compared as SHA-256 digests
 * with timingSafeEqual (neither the token's length nor its first wrong byte shows in the timing).
 * A wrong or missing token takes a token from the client address's failed-authentication bucket
 * (the one Basic auth uses, AuthFailureThrottle): once empty, 429 with Retry-After, whatever
 * was sent; the right token gets in without asking it, as WEB_PASSWORD does. Every action is
 * logged with its outcome and the client address; failures at most once per 10 s, counted.
 */
@Injectable()
export class AdminControls {
  private readonly logger = new Logger('Admin');
  private readonly expected: Buffer;
  private readonly failureLines = new ThrottledLines('admin_auth');
  private readonly routes: ReadonlyMap<string, readonly [method: string, Action]>;

  constructor(
    @Inject(TRANSPORT_CONFIG) config: TransportConfig,
    private readonly identity: ClientIdentity,
    private readonly throttle: AuthFailureThrottle,
    private readonly lifecycle: LifecycleService,
    private readonly logLevel: RuntimeLogLevel,
    private readonly callers: CallersReloader,
  ) {
    this.expected = digest(config.adminToken ?? '');
    this.routes = new Map<string, readonly [string, Action]>([
      ['/admin/reload', ['POST', () => this.reload()]],
      ['/admin/log-level', ['PUT', (req) => this.setLogLevel(req)]],
      ['/admin/pause', ['POST', () => this.pause()]],
      ['/admin/resume', ['POST', () => this.resume()]],
    ]);
  }

  /** Answers a request under ADMIN_PREFIX (the management listener sends them here, before Express). */
  handle(req: IncomingMessage, res: ServerResponse): void {
    this.answer(req).then(
      (answer) => send(res, answer),
      (error: unknown) => {
        this.logger.error(`Admin request failed: ${(error as Error)?.stack ?? String(error)}`);
        send(res, { status: 500, body: { error: 'internal_error', message: 'Internal error' } });
      },
    );
  }

  private async answer(req: IncomingMessage): Promise<Answer> {
    const address = this.identity.addressOf(req as Request);
    const header = req.headers.authorization;
    const given = header !== undefined && /^bearer /i.test(header) ? header.slice(7).trim() : '';
    // Compared even when nothing was sent: every input costs the same one comparison.
    if (!timingSafeEqual(digest(given), this.expected)) return this.refuse(given === '' ? 'missing' : 'wrong_token', address);
    const path = pathOf(req.url ?? '/');
    const route = this.routes.get(path);
    if (!route) return { status: 404, body: { error: 'not_found', message: `No control at ${path}` } };
    const [method, action] = route;
    if (req.method !== method)
      return { status: 405, body: { error: 'method_not_allowed', message: `${path} takes ${method}` }, headers: { Allow: method } };
    return action(req, address);
  }

  private async refuse(reason: 'missing' | 'wrong_token', address: string): Promise<Answer> {
    const admission = await this.throttle.admit(address, undefined);
    const throttled = !admission.allowed;
    this.failureLines.write((suppressed) =>
      this.logger.warn({
        msg: `Admin request refused (${throttled ? 'throttled' : reason}) from ${address}${suppressedNote(suppressed, 'refused admin requests')}`,
        outcome: throttled ? 'throttled' : reason,
        client_address: address,
      }),
    );
    if (!admission.allowed) {
      const retryAfter = String(admission.decision.retryAfter);
      return {
        status: 429,
        body: { error: 'auth_throttled', message: 'Too many failed attempts; retry later' },
        headers: { 'Retry-After': retryAfter },
      };
    }
    return {
      status: 401,
      body: { error: 'unauthorized', message: 'Authorization: Bearer <ADMIN_TOKEN> required' },
      headers: { 'WWW-Authenticate': 'Bearer' },
    };
  }

  private reload(): Answer {
    // CallersReloader logs the outcome (and why, on failure) itself.
    const result = this.callers.reload('POST /admin/reload');
    if (result.outcome === 'success') return { status: 200, body: { outcome: 'success', callers: result.callers } };
    return { status: 422, body: { outcome: 'failure', callers: result.callers, problems: result.problems } };
  }

  private async setLogLevel(req: IncomingMessage): Promise<Answer> {
    const body = await readBody(req);
    let level: unknown;
    try {
      level = (JSON.parse(body ?? '') as { level?: unknown } | null)?.level;
    } catch {
      level = undefined;
    }
    if (typeof level !== 'string' || !this.logLevel.isLevel(level)) {
      this.logger.warn({
        msg: 'Log level not changed (PUT /admin/log-level): no pino level given',
        action: 'log-level',
        outcome: 'refused',
      });
      return { status: 400, body: { error: 'invalid_level', message: 'Send {"level": "fatal|error|warn|info|debug|trace|silent"}' } };
    }
    const previous = this.logLevel.set(level, 'PUT /admin/log-level'); // logs the change itself
    return { status: 200, body: { level, previous } };
  }

  private pause(): Answer {
    const changed = this.lifecycle.pause();
    this.logger.warn({
      msg: changed
        ? 'Intake paused (POST /admin/pause): new API requests get 503 paused, readiness fails; held requests are still answered'
        : 'Intake already paused (POST /admin/pause)',
      action: 'pause',
      outcome: changed ? 'paused' : 'unchanged',
    });
    return { status: 200, body: { state: 'paused', changed } };
  }

  private resume(): Answer {
    const changed = this.lifecycle.resume();
    this.logger.warn({
      msg: changed ? 'Intake resumed (POST /admin/resume)' : 'Intake was not paused (POST /admin/resume)',
      action: 'resume',
      outcome: changed ? 'resumed' : 'unchanged',
    });
    return { status: 200, body: { state: 'serving', changed } };
  }
}

/** The body as text, or undefined past BODY_LIMIT bytes. */
function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= BODY_LIMIT) chunks.push(chunk);
    });
    req.on('end', () => resolve(size <= BODY_LIMIT ? Buffer.concat(chunks).toString('utf8') : undefined));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, answer: Answer): void {
  const body = JSON.stringify(answer.body);
  res.writeHead(answer.status, {
    'Content-Type': JSON_UTF8,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    ...answer.headers,
  });
  res.end(body);
}
