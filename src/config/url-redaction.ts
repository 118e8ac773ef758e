/**
 * The one way a URL that may carry credentials (AMQP_URL, REDIS_URL) is
 * printed: config errors, logs, health and metrics all go through here.
 *
 * Works on the text, not on a parsed URL, because the URLs that most need it
 * are the ones that do not parse: an invalid value is echoed in the boot error,
 * and a password with a raw `@` or `/` confuses parsers. The credentials are
 * everything between `://` and the last `@`, so a raw `@` in a password is
 * covered; an `@` later in the path makes it redact too much, never too little.
 */
export function redactUrl(url: string): string {
  const schemeEnd = url.indexOf('://');
  if (schemeEnd < 0) return redactBare(url);
  const authorityStart = schemeEnd + 3;
  const at = url.lastIndexOf('@');
  if (at < authorityStart) return url;
  const credentials = url.slice(authorityStart, at);
  const colon = credentials.indexOf(':');
  // No colon: a user name alone, or (Redis) a bare password: hide it too, it may be the secret.
  const shown = colon < 0 ? '***' : `${credentials.slice(0, colon)}:***`;
  return `${url.slice(0, authorityStart)}${shown}${url.slice(at)}`;
}

/** Without a scheme there is no telling what is what: keep only what follows the last `@`. */
function redactBare(text: string): string {
  const at = text.lastIndexOf('@');
  return at < 0 ? text : `***${text.slice(at)}`;
}

/** Any value a setting may hold, with every string in it redacted (for "got ..." in config errors). */
export function redactValue(value: unknown): unknown {
  if (typeof value === 'string') return value.includes('@') ? redactUrl(value) : value;
  if (Array.isArray(value)) return value.map(redactValue);
  return value;
}

const DEFAULT_PORTS: Record<string, number> = { 'amqp:': 5672, 'amqps:': 5671, 'redis:': 6379, 'rediss:': 6379 };

/**
 * `host:port` of a broker URL, for health, metrics labels and logs: never the
 * user, password or vhost. The default port is filled in so two nodes on the
 * same host stay apart.
 */
export function nodeAddress(url: string): string {
  try {
    const parsed = new URL(redactUrl(url));
    const port = parsed.port || String(DEFAULT_PORTS[parsed.protocol] ?? '');
    return port ? `${parsed.hostname}:${port}` : parsed.hostname;
  } catch {
    return redactUrl(url);
  }
}
