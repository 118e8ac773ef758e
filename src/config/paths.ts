/** Vumi allows paths with or without their leading slash; loadConfig applies this once to every configured path. */
export function normalisePath(path: string): string {
  return `/${path.replace(/^\/+/, '')}`;
}

/** The path of a request target, without its query (which carries message content and addresses). */
export function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/**
 * One configured path (already normalised by loadConfig) and the one rule for "is this request
 * on it?", Express's own: case-insensitive, one optional trailing slash, the query ignored. So a
 * request Express routes to the path is counted, logged, traced and answered as that path
 * everywhere (`/http_api/` as `/http_api`). The common spelling costs one exact comparison.
 */
export class RoutePath {
  /** Lower case, without a trailing slash: what any spelling Express routes here comes down to. */
  private readonly bare: string;

  constructor(readonly path: string) {
    this.bare = withoutTrailingSlash(path.toLowerCase());
  }

  /** Exactly the configured spelling, with or without a query; read off the target without slicing it. */
  isExactly(url: string): boolean {
    const path = this.path;
    return url.startsWith(path) && (url.length === path.length || url.charCodeAt(path.length) === QUERY);
  }

  /** Whether Express routes `url` to this path (no sub-path): the exact spelling first, then any other. */
  routesHere(url: string): boolean {
    if (this.isExactly(url)) return true;
    const path = withoutTrailingSlash(pathOf(url));
    return path.length === this.bare.length && path.toLowerCase() === this.bare;
  }
}

function withoutTrailingSlash(path: string): string {
  return path.length > 1 && path.charCodeAt(path.length - 1) === SLASH ? path.slice(0, -1) : path;
}

const QUERY = 0x3f; // '?'
const SLASH = 0x2f; // '/'
