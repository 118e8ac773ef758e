// Owns: the MANAGEMENT_PORT listener that takes METRICS_PATH and DOCS_PATH off the public port.
// May import: itself and the layers below it in .dependency-cruiser.cjs: wire, common, config, platform/*, broker, reply-path/*, callers/*, request-path/*, operations/status, operations/health, operations/shutdown, operations/metrics, operations/openapi.
import { applyServerTimeouts } from '../../config/server-timeouts';
import { INestApplication } from '@nestjs/common';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { TransportConfig } from '../../config/transport-config';
import { pathOf } from '../../config/paths';
import { answerClientError } from '../../request-path/http-api/client-error';
import { JSON_UTF8 } from '../../common/content-types';
import { ADMIN_PREFIX, AdminControls } from './admin-controls';

/** Set on a request that came in on the management listener. */
const ON_MANAGEMENT = Symbol('onManagementListener');

type Marked = IncomingMessage & { [ON_MANAGEMENT]?: true };
type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface ManagementListener {
  port: number;
  url: string;
  close(): Promise<void>;
}

/**
 * The paths MANAGEMENT_PORT takes off the public port: the metrics (which
 * name callers and show internals) and the API documentation (page, assets,
 * JSON). The probes and Vumi's health path stay on the API port, where
 * they test the listener callers use.
 */
export function isManagementPath(config: TransportConfig, path: string): boolean {
  const metrics = config.metricsPath;
  const docs = config.docsPath;
  if (config.metricsEnabled && (path === metrics || path.startsWith(`${metrics}/`))) return true;
  if (!config.docsEnabled) return false;
  return path === docs || path.startsWith(`${docs}/`) || path === `${docs}-json` || path === `${docs}-yaml`;
}

/** The runtime controls are on only with ADMIN_TOKEN and MANAGEMENT_PORT both set (never on the public port). */
export function adminControlsOn(config: TransportConfig): boolean {
  return config.adminToken !== undefined && config.managementPort !== undefined;
}

/** The answer of the API port to a path it does not serve: the same as Nest's for any unknown path. */
function notFound(req: IncomingMessage, res: ServerResponse): void {
  // Inside app.use(prefix, ...) Express strips the prefix from req.url; originalUrl keeps it.
  const url = (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url;
  const body = JSON.stringify({ message: `Cannot ${req.method} ${pathOf(url ?? '/')}`, error: 'Not Found', statusCode: 404 });
  res.writeHead(404, { 'Content-Type': JSON_UTF8, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/**
 * With MANAGEMENT_PORT set, the management paths answer on the API port as
 * any unknown path does (nothing tells they exist). Mounted before the
 * metrics controller and the documentation, so it runs ahead of them; never
 * on the API path, so the hot path pays nothing.
 */
export function hideManagementPathsFromApiPort(app: INestApplication, config: TransportConfig): void {
  if (config.managementPort === undefined) return;
  const hide = (req: Marked, res: ServerResponse, next: () => void) => (req[ON_MANAGEMENT] ? next() : notFound(req, res));
  const docs = config.docsPath;
  const prefixes = [
    ...(config.metricsEnabled ? [config.metricsPath] : []),
    ...(config.docsEnabled ? [docs, `${docs}-json`, `${docs}-yaml`] : []),
  ];
  for (const prefix of prefixes) app.use(prefix, hide);
}

/**
 * The second listener (MANAGEMENT_PORT, on HOST): the same application, so
 * the same registry and document, but only the management paths; anything
 * else is a 404 before Express sees it. Same time-outs as the API port.
 */
export async function startManagementListener(app: INestApplication, config: TransportConfig): Promise<ManagementListener | null> {
  if (config.managementPort === undefined) return null;
  const express = app.getHttpAdapter().getInstance() as unknown as Handler;
  const admin = adminControlsOn(config) ? app.get(AdminControls) : null;
  const server: Server = createServer((req: Marked, res) => {
    const path = pathOf(req.url ?? '/');
    // Answered here, not by Express: the controls never exist on the API port, not even as a route.
    if (admin && path.startsWith(ADMIN_PREFIX)) return admin.handle(req, res);
    if (!isManagementPath(config, path)) return notFound(req, res);
    req[ON_MANAGEMENT] = true;
    express(req, res);
  });
  applyServerTimeouts(server, config);
  server.on('clientError', answerClientError);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.managementPort, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections(); // a scraper's keep-alive connection must not hold the exit
    });
  return { port, url, close };
}
