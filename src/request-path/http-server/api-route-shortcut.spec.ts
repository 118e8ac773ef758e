import { Logger } from '@nestjs/common';
import { createServer } from 'node:http';
import { NestExpressApplication } from '@nestjs/platform-express';
import { ApiRouteShortcut } from './api-route-shortcut';

function appWith(server: ReturnType<typeof createServer>, express: object): NestExpressApplication {
  return { getHttpServer: () => server, getHttpAdapter: () => ({ getInstance: () => express }) } as unknown as NestExpressApplication;
}

describe('ApiRouteShortcut.install', () => {
  let warnings: string[];
  let warn: jest.SpyInstance;
  beforeEach(() => {
    warnings = [];
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => void warnings.push(String(message)));
  });
  afterEach(() => warn.mockRestore());

  it('declines, and says why in the log, when the server has another request listener', () => {
    const server = createServer();
    const express = Object.assign(() => undefined, { router: { stack: [] }, request: {}, response: {} });
    server.on('request', () => undefined);
    expect(ApiRouteShortcut.install(appWith(server, express), '/http_api')).toBe(false);
    expect(ApiRouteShortcut.isInstalledOn(server)).toBe(false);
    expect(warnings).toEqual([expect.stringMatching(/^Not installed \(the HTTP server has request listeners other than Express\)/)]);
  });

  it("declines when a router layer is not the router package's it was written for", () => {
    const express = Object.assign(() => undefined, { router: { stack: [{ match: () => false }] }, request: {}, response: {} });
    const server = createServer(express);
    expect(ApiRouteShortcut.install(appWith(server, express), '/http_api')).toBe(false);
    expect(server.listeners('request')).toEqual([express]);
    expect(warnings).toEqual([expect.stringMatching(/router layer lacks/)]);
  });

  it('installs itself in front of Express when the layout is the expected one', () => {
    const express = Object.assign(() => undefined, { router: { stack: [] }, request: {}, response: {} });
    const server = createServer(express);
    expect(ApiRouteShortcut.install(appWith(server, express), '/http_api')).toBe(true);
    expect(ApiRouteShortcut.isInstalledOn(server)).toBe(true);
    expect(server.listeners('request')).not.toContain(express);
    expect(warnings).toEqual([]);
  });
});
