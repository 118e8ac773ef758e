import { IncomingMessage, Server, ServerResponse } from 'node:http';
import { NestExpressApplication } from '@nestjs/platform-express';

/** The slice of the `router` package's Layer this needs (Express 5). */
interface RouterLayer {
  route?: { _handlesMethod(method: string): boolean };
  match(path: string): false | { path: string };
  handleRequest(req: IncomingMessage, res: ServerResponse, next: Next): void;
  handleError(error: unknown, req: IncomingMessage, res: ServerResponse, next: Next): void;
}

type Next = (error?: unknown) => void;
type ExpressApp = ((req: IncomingMessage, res: ServerResponse) => void) & {
  router: { stack: RouterLayer[] };
  request: object;
  response: object;
};

interface Step {
  layer: RouterLayer;
  /** The mount path a middleware layer strips from `req.url` while it runs (Express's trimPrefix). */
  mountPath: string;
}

const OTHER = '*';

/**
 * Express walks its whole router for every request, matching each layer's
 * pattern against the path. The API path is fixed at boot, so the layers that
 * serve it (our middlewares, Nest's compiled route handlers with their guards,
 * pipes and filters) are resolved once per method here, and a request for
 * exactly that path runs them in the same order with the same arguments.
 * Every other request, and anything unusual, goes through Express unchanged.
 * This is the largest single saving on the hot path (see docs/performance.md).
 */
export class ApiRouteShortcut {
  private readonly chains = new Map<string, Step[]>();

  private constructor(
    private readonly express: ExpressApp,
    private readonly apiPath: string,
  ) {
    for (const method of ['GET', 'POST', 'PUT', 'HEAD', OTHER]) this.chains.set(method, this.resolve(method));
  }

  /** Puts the shortcut in front of Express on the HTTP server (after all routes are registered). */
  static install(app: NestExpressApplication, apiPath: string): void {
    const server: Server = app.getHttpServer();
    const express = app.getHttpAdapter().getInstance() as unknown as ExpressApp;
    const [listener] = server.listeners('request');
    if (listener !== express) return; // not the server layout this was written for: leave Express alone
    const shortcut = new ApiRouteShortcut(express, apiPath);
    server.removeListener('request', express);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => shortcut.handle(req, res));
  }

  private resolve(method: string): Step[] {
    const steps: Step[] = [];
    for (const layer of this.express.router.stack) {
      const match = layer.match(this.apiPath);
      if (!match) continue;
      if (layer.route && !(method === OTHER ? true : layer.route._handlesMethod(method))) continue;
      steps.push({ layer, mountPath: layer.route ? '' : match.path });
    }
    return steps;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const queryAt = url.indexOf('?');
    const path = queryAt === -1 ? url : url.slice(0, queryAt);
    if (path !== this.apiPath || req.method === 'OPTIONS') return this.express(req, res);
    const method = req.method === 'GET' || req.method === 'POST' || req.method === 'PUT' || req.method === 'HEAD';
    this.run(this.chains.get(method ? (req.method as string) : OTHER)!, req, res);
  }

  /** What Express's app.handle and router.handle do for a matched request, minus the matching. */
  private run(steps: Step[], req: IncomingMessage, res: ServerResponse): void {
    const r = req as IncomingMessage & Record<string, unknown>;
    r.res = res;
    (res as unknown as Record<string, unknown>).req = req;
    // Requests born of ExpressHttpAdapter's server already have Express's methods: no prototype swap.
    if (!this.bornExpress(req)) {
      Object.setPrototypeOf(req, this.express.request);
      Object.setPrototypeOf(res, this.express.response);
    }
    (res as ServerResponse & { locals?: object }).locals ??= Object.create(null);
    r.originalUrl = req.url;
    r.baseUrl = '';
    r.params = {};
    const originalUrl = req.url as string;
    let index = 0;
    const next: Next = (error) => {
      req.url = originalUrl;
      r.baseUrl = '';
      const step = steps[index++];
      if (!step) return this.fallThrough(req, res, error);
      if (step.mountPath) {
        r.baseUrl = step.mountPath;
        req.url = originalUrl.slice(step.mountPath.length) || '/';
        if (req.url[0] !== '/') req.url = `/${req.url}`;
      }
      const failure = error === 'route' ? undefined : error;
      if (failure) step.layer.handleError(failure, req, res, next);
      else step.layer.handleRequest(req, res, next);
    };
    r.next = next;
    next();
  }

  private bornExpress(req: IncomingMessage): boolean {
    return (req as IncomingMessage & { app?: unknown }).app === this.express;
  }

  /** No layer answered (cannot happen: the API's catch-all answers 405); answer as Express's final handler would. */
  private fallThrough(req: IncomingMessage, res: ServerResponse, error: unknown): void {
    if (res.headersSent) return void res.end();
    const status = error ? 500 : 404;
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(error ? 'Internal Server Error' : `Cannot ${req.method} ${req.url}`);
  }
}
