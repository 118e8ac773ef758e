import { normalisePath, pathOf, RoutePath } from './paths';

describe('normalisePath', () => {
  it.each([
    ['http_api', '/http_api'],
    ['/http_api', '/http_api'],
    ['//http_api', '/http_api'],
    ['/health/live', '/health/live'],
  ])('%s -> %s', (given, normalised) => expect(normalisePath(given)).toBe(normalised));
});

describe('pathOf', () => {
  it('drops the query', () => {
    expect(pathOf('/http_api?content=a?b')).toBe('/http_api');
    expect(pathOf('/http_api')).toBe('/http_api');
  });
});

describe('RoutePath', () => {
  const api = new RoutePath('/http_api');

  it('is exactly the configured spelling, with or without a query', () => {
    expect(api.isExactly('/http_api')).toBe(true);
    expect(api.isExactly('/http_api?to_addr=1')).toBe(true);
    expect(api.isExactly('/http_api/')).toBe(false);
    expect(api.isExactly('/HTTP_API')).toBe(false);
    expect(api.isExactly('/http_apix')).toBe(false);
  });

  it('routes here as Express does: case-insensitive, one optional trailing slash, the query ignored', () => {
    for (const url of ['/http_api', '/http_api?a=1', '/http_api/', '/http_api/?a=1', '/HTTP_API', '/Http_Api/?a=/b/']) {
      expect(api.routesHere(url)).toBe(true);
    }
  });

  it('does not route sub-paths, other paths or two trailing slashes here', () => {
    for (const url of ['/http_api/x', '/http_api//', '/http_apix', '/http', '/', '/other?/http_api', '/x/http_api']) {
      expect(api.routesHere(url)).toBe(false);
    }
  });

  it('takes a configured trailing slash as Express does (optional)', () => {
    const slashed = new RoutePath('/api/');
    expect(slashed.routesHere('/api')).toBe(true);
    expect(slashed.routesHere('/api/')).toBe(true);
    expect(slashed.routesHere('/api/x')).toBe(false);
  });

  it('serves the root path', () => {
    const root = new RoutePath('/');
    expect(root.routesHere('/')).toBe(true);
    expect(root.routesHere('/?a=1')).toBe(true);
    expect(root.routesHere('/x')).toBe(false);
  });
});
