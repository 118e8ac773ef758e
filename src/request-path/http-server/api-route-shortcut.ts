import { Logger } from '@nestjs/common';
import { IncomingMessage, Server, ServerResponse } from 'node:http';
import { NestExpressApplication } from '@nestjs/platform-express';
import { TEXT_PLAIN_UTF8 } from '../../common/content-types';
import { RoutePath } from '../../config/paths';
import { FastPaths, SWITCHED_OFF } from '../../config/fast-paths';

/** The slice of the `router` package's Layer this needs (Express 5). */
interface RouterLayer {
  route?: { _handlesMethod?(method: string): boolean };
  match(path: string): false | { path: string };
  handleRequest(req: IncomingMessage, res: ServerResponse, next: Next): void;
  handleError(error: unknown, req: IncomingMessage, res: ServerResponse, next: Next): void;
}

type Next = (error?: unknown) => void;
type ExpressApp = ((req: IncomingMessage, res: ServerResponse) => void) & {
  router?: { stack?: RouterLayer[] };
  request: object;
  response: object;
};

interface Step {
  layer: RouterLayer;
  /** The mount path a middleware layer strips from `req.url` while it runs (Express's trimPrefix). */
  mountPath: string;
}

const OTHER = '*';
const METHODS = ['GET', 'POST', 'PUT', 'HEAD', OTHER];

/** Why the shortcut cannot run this app's chain, or null when it can. */
function declineReason(server: Server, express: ExpressApp): string | null {
  const listeners = server.listeners('request');
  if (listeners.length !== 1 || listeners[0] !== express) return 'the HTTP server has request listeners other than Express';
  const stack = express.router?.stack;
  if (!Array.isArray(stack)) return "Express's router has no layer stack (not Express 5?)";
  for (const layer of stack) {
    const usable =
      typeof layer.match === 'function' && typeof layer.handleRequest === 'function' && typeof layer.handleError === 'function';
    if (!usable || (layer.route && typeof layer.route._handlesMethod !== 'function')) {
      return 'a router layer lacks match/handleRequest/handleError/route._handlesMethod (router package changed?)';
    }
  }
  return null;
}

/**
 * Express walks its whole router for every request, matching each layer's
 * pattern against the path, and swaps the prototypes of the request and the
 * response (app.handle's Object.setPrototypeOf), which undoes what
 * ExpressHttpAdapter saves. The API path is fixed at boot, so the layers that
 * serve it (the middlewares, Nest's compiled route handlers with their guards,
 * pipes and filters) are resolved once per method here, and a request Express
 * would route to that path (RoutePath.routesHere: any case, one optional
 * trailing slash) runs them in the same order with the same arguments.
 * Every other request, and anything unusual, goes through Express unchanged.
 *
 * Not frozen at boot: when Express's layer stack changes (a middleware or
 * route added later with app.use, app.get, ...), the chains are resolved
 * again before the next request, so the API path always runs the chain
 * Express would run. When the app is not laid out as this expects, it is not
 * installed and says so in the log. Measured in docs/performance.md: without
 * it the service spends about twice the CPU per request.
 */
export class ApiRouteShortcut {
  private static readonly logger = new Logger('ApiRouteShortcut');
  private readonly chains = new Map<string, Step[]>();
  /** The stack as it was resolved: its length and its layers, to notice any later change. */
  private resolvedLayers: RouterLayer[] = [];

  private constructor(
    private readonly express: ExpressApp,
    private readonly apiPath: RoutePath,
  ) {
    this.resolveAll();
  }

  /**
   * Puts the shortcut in front of Express on the HTTP server (after app.init(), so that every route
   * is registered). Returns whether it did; when it declines (FAST_PATHS=off, or Express's internals
   * not as verified: then at warn, with the reason) Express serves as usual.
   */
  static install(app: NestExpressApplication, apiPath: string): boolean {
    const server: Server = app.getHttpServer();
    const express = app.getHttpAdapter().getInstance() as unknown as ExpressApp;
    const fastPaths = fastPathsOf(app);
    const reason = fastPaths && !fastPaths.enabled ? SWITCHED_OFF : declineReason(server, express);
    if (reason !== null) {
      if (fastPaths)
        fastPaths.declined('http-route-shortcut', `${reason}: every request goes through Express's router, correct but slower`);
      else ApiRouteShortcut.logger.warn(`Not installed (${reason}): every request goes through Express's router, correct but slower`);
      return false;
    }
    fastPaths?.engaged('http-route-shortcut');
    const shortcut = new ApiRouteShortcut(express, new RoutePath(apiPath));
    server.removeListener('request', express);
    server.on('request', function apiRouteShortcut(req: IncomingMessage, res: ServerResponse) {
      shortcut.handle(req, res);
    });
    return true;
  }

  /** Whether `server` answers through the shortcut (for tests and diagnostics). */
  static isInstalledOn(server: Server): boolean {
    return server.listeners('request').some((listener) => listener.name === 'apiRouteShortcut');
  }

  private resolveAll(): void {
    const stack = this.express.router!.stack!;
    this.resolvedLayers = [...stack];
    for (const method of METHODS) this.chains.set(method, this.resolve(stack, method));
  }

  private resolve(stack: RouterLayer[], method: string): Step[] {
    const steps: Step[] = [];
    for (const layer of stack) {
      const match = layer.match(this.apiPath.path);
      if (!match) continue;
      if (layer.route && !(method === OTHER ? true : layer.route._handlesMethod!(method))) continue;
      steps.push({ layer, mountPath: layer.route ? '' : match.path });
    }
    return steps;
  }

  /** Whether Express's layer stack is still the one resolved (same layers, same order). */
  private stackUnchanged(): boolean {
    const stack = this.express.router!.stack!;
    const resolved = this.resolvedLayers;
    if (stack.length !== resolved.length) return false;
    for (let i = 0; i < stack.length; i++) if (stack[i] !== resolved[i]) return false;
    return true;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    if (!this.apiPath.routesHere(req.url ?? '/') || req.method === 'OPTIONS') return this.express(req, res);
    if (!this.stackUnchanged()) this.resolveAll();
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
    res.writeHead(status, { 'Content-Type': TEXT_PLAIN_UTF8 });
    res.end(error ? 'Internal Server Error' : `Cannot ${req.method} ${req.url}`);
  }
}

/** The service's FastPaths; undefined for an application without the ConfigModule (some specs). */
function fastPathsOf(app: NestExpressApplication): FastPaths | undefined {
  try {
    return app.get(FastPaths, { strict: false });
  } catch {
    return undefined;
  }
}
