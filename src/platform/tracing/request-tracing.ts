import { INestApplication } from '@nestjs/common';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { NextFunction, Request, Response } from 'express';
import { pathOf, RoutePath } from '../../config/paths';
import { TransportConfig } from '../../config/transport-config';
import { tracer, withRequestId } from './trace-context';

/**
 * A SERVER span per API request (WEB_PATH only: probes and scrapes would
 * bury the traffic), child of the caller's own `traceparent` when it sends
 * one. The span and the request id become the active context for all the
 * request's work: `context.bind` makes the request's stream events (the
 * body middleware's `data`/`end`) run in it too, so the publish deep down
 * finds it (traceHeaders). No attribute holds the query or the body.
 */
export function requestTracingMiddleware(config: TransportConfig) {
  const api = new RoutePath(config.webPath);
  // The route as a span names it; lower case, as it always was (Express matches any case).
  const apiPath = config.webPath.toLowerCase();
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!api.routesHere(req.url)) return next(); // every spelling Express serves as the API path
    const path = pathOf(req.url);
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const span = tracer().startSpan(
      `${req.method} ${apiPath}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': req.method,
          'url.path': path,
          'http.route': apiPath,
          'http.request.id': (req as Request & { id?: string }).id ?? '',
          'messaging.destination.name': `${config.transportName}.inbound`,
        },
      },
      parent,
    );
    res.once('close', () => {
      const status = res.writableFinished ? res.statusCode : undefined;
      if (status !== undefined) span.setAttribute('http.response.status_code', status);
      if (status === undefined || status >= 500)
        span.setStatus({ code: SpanStatusCode.ERROR, ...(status === undefined && { message: 'aborted' }) });
      span.end();
    });
    const active = withRequestId(trace.setSpan(parent, span), (req as Request & { id?: string }).id);
    context.bind(active, req);
    context.bind(active, res);
    context.with(active, next);
  };
}

/** Mounts the span middleware after the request ids (mountRequestLog), so each span knows its request id. */
export function mountRequestTracing(app: INestApplication, config: TransportConfig): void {
  app.use(requestTracingMiddleware(config));
}
