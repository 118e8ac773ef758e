import { Inject, Injectable } from '@nestjs/common';
import { NextFunction, Request, Response } from 'express';
import { Level, Logger } from 'pino';
import { TRANSPORT_CONFIG } from '../../config/config.constants';
import { TransportConfig } from '../../config/transport-config';
import { pathOf, RoutePath } from '../../config/paths';
import { PINO_LOGGER } from './logging.constants';
import { chooseRequestId, requestIdFor } from './request-id';

/**
 * Levels of the one line per answered request: API requests (`info` with
 * LOG_REQUESTS, as in dev), and probes, metrics and docs.
 */
const REQUEST_LINE_LEVEL: Level = 'debug';
const LOGGED_REQUEST_LINE_LEVEL: Level = 'info';
const PROBE_LINE_LEVEL: Level = 'trace';

/**
 * Every request gets an id (the caller's sane X-Request-Id, or a new UUID):
 * on `req.id`, where log lines about the request read it (requestIdOf), and
 * in the X-Request-Id header of its answer. At LOG_LEVEL=debug (or with
 * LOG_REQUESTS) it also logs one line per answered request; at the default
 * level it watches nothing: no log line, no listener, no child logger per
 * request. The level is checked per request (one comparison), so a level
 * changed at run time (RuntimeLogLevel, SIGUSR2) takes effect at once.
 */
@Injectable()
export class RequestLog {
  private readonly probes: readonly RoutePath[];
  private readonly docs: string;
  private readonly requestLevel: Level;
  private readonly apiPath: RoutePath;

  constructor(
    @Inject(TRANSPORT_CONFIG) private readonly config: TransportConfig,
    @Inject(PINO_LOGGER) private readonly pino: Logger,
  ) {
    this.probes = [config.healthPath, config.livenessPath, config.readinessPath, config.metricsPath].map((path) => new RoutePath(path));
    this.docs = config.docsPath.toLowerCase();
    this.requestLevel = config.logRequests ? LOGGED_REQUEST_LINE_LEVEL : REQUEST_LINE_LEVEL;
    this.apiPath = new RoutePath(config.webPath);
  }

  /** Express middleware for every path (mounted by mountRequestLog). */
  readonly middleware = (req: Request, res: Response, next: NextFunction): void => {
    // The API path's one writer (ApiResponder) puts the id into its answer's headers itself, under
    // every spelling Express routes there (ApiPathErrorFilter answers those errors too).
    const id = this.apiPath.routesHere(req.url) ? chooseRequestId(req) : requestIdFor(req, res);
    (req as Request & { id: string }).id = id;
    if (this.pino.isLevelEnabled(this.requestLevel)) this.watch(req, res, id);
    next();
  };

  /** The line's level for a request path; probes are frequent and dull, and the docs page loads many files. */
  levelFor(url: string): Level {
    if (this.probes.some((probe) => probe.routesHere(url))) return PROBE_LINE_LEVEL;
    return pathOf(url).toLowerCase().startsWith(this.docs) ? PROBE_LINE_LEVEL : this.requestLevel;
  }

  private watch(req: Request, res: Response, id: string): void {
    const level = this.levelFor(req.url);
    if (!this.pino.isLevelEnabled(level)) return;
    const started = performance.now();
    const method = req.method;
    const url = req.originalUrl ?? req.url;
    res.once('close', () => {
      const path = pathOf(url);
      const status = res.writableFinished ? res.statusCode : null;
      this.pino[level](
        {
          request_id: id,
          req: { method, path, ...(this.config.noisy && { url }) },
          res: { status_code: status, ...(status === null && { aborted: true }) },
          response_time_ms: Math.round((performance.now() - started) * 1000) / 1000,
        },
        `${method} ${path} ${status ?? 'aborted'}`,
      );
    });
  }
}
