/** Vumi allows paths with or without their leading slash. */
export function normalisePath(path: string): string {
  return `/${path.replace(/^\/+/, '')}`;
}

/**
 * Whether a request target is exactly `path`, with or without a query: no sub-path, no other
 * spelling. Read off the target without slicing it (it is asked of every request).
 */
export function targetsPath(url: string, path: string): boolean {
  return url.startsWith(path) && (url.length === path.length || url.charCodeAt(path.length) === QUERY);
}

const QUERY = 0x3f; // '?'
