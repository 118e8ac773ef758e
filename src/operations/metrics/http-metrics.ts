import { Inject, Injectable } from '@nestjs/common';
import { NextFunction, Request, Response } from 'express';
import { TRANSPORT_CONFIG } from '../../config/config.constants';
import { TransportConfig } from '../../config/transport-config';
import { RoutePath } from '../../config/paths';
import { METRICS_PREFIX, REQUEST_DURATION_BUCKETS } from './metrics.constants';
import { MetricsService } from './metrics.service';
import { timedOutByServer } from '../../common/server-time-outs';
import { ANONYMOUS_CALLER, methodLabel } from './metric-labels';
import { callerOf } from '../../callers/identity/caller';
import { LeanCounter, LeanCounterChild, LeanHistogram, LeanHistogramChild } from './lean-metrics';

/** nginx's "client closed request": the caller hung up before it was answered. */
export const CLIENT_CLOSED_STATUS = 499;
/** A request the server itself cut off (HTTP_REQUEST_TIMEOUT): answered 408 where it still could be. */
export const REQUEST_TIMEOUT_STATUS = 408;

/**
 * Requests on the API path, counted when their answer is done (ApiResponder
 * writes every one) or when the caller hung up first. Mounted on Express
 * itself, ahead of everything Nest adds (bootstrap.ts).
 */
@Injectable()
export class HttpMetrics {
  private readonly requests: LeanCounter;
  private readonly histogram: LeanHistogram;
  private readonly mode: string;
  /** Children by caller, method and status number, so that counting a request neither allocates nor builds a key. */
  private readonly children = new Map<string, Map<string, Map<number, LeanCounterChild>>>();
  private readonly durations = new Map<string, LeanHistogramChild>();
  private readonly apiPath: RoutePath;

  constructor(@Inject(TRANSPORT_CONFIG) config: TransportConfig, metrics: MetricsService) {
    this.requests = new LeanCounter({
      name: `${METRICS_PREFIX}http_requests_total`,
      help:
        'Requests on the API path by method, answered status (499: the caller hung up first; 408: the server cut it off) ' +
        'and caller (anonymous: not authenticated).',
      labelNames: ['method', 'status', 'caller'],
      registers: metrics.registers,
    });
    this.histogram = new LeanHistogram({
      name: `${METRICS_PREFIX}http_request_duration_seconds`,
      help: 'Time from a request to its answer on the API path; mode fire_and_forget answers after the publish confirm, reply after the reply or time-out.',
      labelNames: ['mode', 'caller'],
      buckets: REQUEST_DURATION_BUCKETS,
      registers: metrics.registers,
    });
    this.mode = config.replyExpected ? 'reply' : 'fire_and_forget';
    this.apiPath = new RoutePath(config.webPath);
  }

  /** Express middleware for every path (mountHttpMetrics); counts those Express routes to the API (`/http_api/` too). */
  readonly middleware = (req: Request, res: Response, next: NextFunction): void => {
    if (!this.apiPath.routesHere(req.url)) return next();
    const started = performance.now();
    // 'close' comes once per response: `on` spares the wrapper `once` makes per request.
    res.on('close', () => {
      // Read at the end: the guard puts the caller on the request. Its name is a configured one
      // (bounded); whatever a client sent that did not authenticate is `anonymous`.
      const caller = callerOf(req)?.name ?? ANONYMOUS_CALLER;
      if (!res.writableFinished) {
        // Cut off by HTTP_REQUEST_TIMEOUT (client-error.ts answered 408 on the socket), or the caller hung up.
        this.child(caller, req.method, timedOutByServer(req.socket) ? REQUEST_TIMEOUT_STATUS : CLIENT_CLOSED_STATUS).inc();
        return;
      }
      this.duration(caller).observe((performance.now() - started) / 1000);
      this.child(caller, req.method, res.statusCode).inc();
    });
    next();
  };

  private duration(caller: string): LeanHistogramChild {
    let child = this.durations.get(caller);
    if (!child) {
      child = this.histogram.child(this.mode, caller);
      this.durations.set(caller, child);
    }
    return child;
  }

  private child(caller: string, method: string, status: number): LeanCounterChild {
    let byMethod = this.children.get(caller);
    if (!byMethod) {
      byMethod = new Map();
      this.children.set(caller, byMethod);
    }
    const label = methodLabel(method);
    let byStatus = byMethod.get(label);
    if (!byStatus) {
      byStatus = new Map();
      byMethod.set(label, byStatus);
    }
    let child = byStatus.get(status);
    if (!child) {
      child = this.requests.child(label, String(status), caller);
      byStatus.set(status, child);
    }
    return child;
  }
}
