import { EventEmitter } from 'node:events';
import { Request, Response } from 'express';
import pino from 'pino';
import { loadConfig } from '../../config/config-loader';
import { RequestLog } from './request-log';
import { anyNumber } from '../../../test/support/matchers';

function setUp(env: Record<string, string>) {
  const lines: Array<Record<string, unknown>> = [];
  const config = loadConfig(env);
  const root = pino(
    { level: config.logLevel, base: undefined, timestamp: false },
    { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  return { lines, root, log: new RequestLog(config, root) };
}

function exchange(url: string) {
  const headers: Record<string, string> = {};
  const res = Object.assign(new EventEmitter(), {
    statusCode: 200,
    writableFinished: true,
    setHeader: (name: string, value: string) => (headers[name] = value),
  });
  const req = { url, originalUrl: url, method: 'GET', headers: {} };
  return { req: req as unknown as Request, res: res as unknown as Response, headers };
}

describe('RequestLog', () => {
  it('at the default level: an id and its header, no listener, no line', () => {
    const { lines, log } = setUp({});
    const { req, res, headers } = exchange('/health');
    log.middleware(req, res, () => undefined);
    expect((req as Request & { id: string }).id).toMatch(/^[0-9a-f-]{36}$/);
    expect((req as Request & { id: string }).id).toBe(headers['X-Request-Id']);
    expect(res.listenerCount('close')).toBe(0);
    res.emit('close');
    expect(lines).toEqual([]);
  });

  it("on the API path: the id on the request, its header left to ApiResponder's answer", () => {
    const { log } = setUp({});
    // Every spelling Express routes to the API path (RoutePath.routesHere) is answered by ApiResponder.
    for (const url of ['/http_api', '/http_api?content=x', '/http_api/', '/HTTP_API', '/Http_Api/?a=1']) {
      const { req, res, headers } = exchange(url);
      log.middleware(req, res, () => undefined);
      expect((req as Request & { id: string }).id).toMatch(/^[0-9a-f-]{36}$/);
      expect(headers).toEqual({});
    }
    for (const url of ['/http_api2', '/http_api/x', '/http_api//']) {
      const { req, res, headers } = exchange(url);
      log.middleware(req, res, () => undefined);
      expect(headers['X-Request-Id']).toBe((req as Request & { id: string }).id);
    }
  });

  it('at debug: one line per API request, without the query unless NOISY; probes only at trace', () => {
    const { lines, log } = setUp({ LOG_LEVEL: 'debug' });
    const api = exchange('/http_api?content=secret');
    log.middleware(api.req, api.res, () => undefined);
    api.res.emit('close');
    const probe = exchange('/health');
    log.middleware(probe.req, probe.res, () => undefined);
    probe.res.emit('close');
    expect(lines).toEqual([
      {
        level: 20,
        request_id: (api.req as Request & { id: string }).id,
        req: { method: 'GET', path: '/http_api' },
        res: { status_code: 200 },
        response_time_ms: anyNumber(),
        msg: 'GET /http_api 200',
      },
    ]);
    expect(log.levelFor('/metrics')).toBe('trace');
    expect(log.levelFor('/docs')).toBe('trace');
    expect(log.levelFor('/docs-json')).toBe('trace');
    expect(log.levelFor('/docs/swagger-ui.css')).toBe('trace');
    expect(log.levelFor('/health/ready?x')).toBe('trace');
  });

  it('NOISY adds the full target; an aborted request says so', () => {
    const { lines, log } = setUp({ LOG_LEVEL: 'debug', NOISY: 'true' });
    const { req, res } = exchange('/http_api?content=hi');
    log.middleware(req, res, () => undefined);
    (res as unknown as { writableFinished: boolean }).writableFinished = false;
    res.emit('close');
    expect(lines[0]).toMatchObject({
      req: { url: '/http_api?content=hi' },
      res: { status_code: null, aborted: true },
      msg: 'GET /http_api aborted',
    });
  });

  it('LOG_REQUESTS: one line per API request at info, probes still only at trace', () => {
    const { lines, log } = setUp({ LOG_REQUESTS: 'true' });
    for (const url of ['/http_api?content=x', '/health/live']) {
      const { req, res } = exchange(url);
      log.middleware(req, res, () => undefined);
      res.emit('close');
    }
    expect(lines).toEqual([expect.objectContaining({ level: 30, msg: 'GET /http_api 200' })]);
  });

  it('follows a level changed at run time, both ways', () => {
    const { lines, root, log } = setUp({});
    const once = () => {
      const { req, res } = exchange('/http_api');
      log.middleware(req, res, () => undefined);
      res.emit('close');
    };
    once();
    root.level = 'debug';
    once();
    root.level = 'info';
    once();
    expect(lines.map((line) => line.msg)).toEqual(['GET /http_api 200']);
  });
});
