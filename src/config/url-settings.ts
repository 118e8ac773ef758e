import { redactUrl } from './url-redaction';
import { TransportConfig } from './transport-config';

/**
 * The settings that hold URLs, and the schemes each takes. The validators on
 * TransportConfig check the scheme; here each URL is parsed as its client
 * will parse it (WHATWG `new URL`), at boot, so that a URL no client can use
 * is one line naming the setting, redacted, before any connection is tried:
 * not a stack trace that prints the password (ioredis) or a silent retry loop
 * (amqplib, which never gets a host to connect to).
 */
const URL_SETTINGS: ReadonlyArray<{ property: keyof TransportConfig; schemes: readonly string[] }> = [
  { property: 'amqpUrls', schemes: ['amqp:', 'amqps:'] },
  { property: 'redisUrl', schemes: ['redis:', 'rediss:'] },
  { property: 'otelExporterOtlpEndpoint', schemes: ['http:', 'https:'] },
];

/** Why `text` is not a usable URL, or null when it is one. */
export function urlProblem(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'does not parse as a URL (a raw "@", "/", "#", "?" or "%" in the user or password must be percent-encoded, e.g. "@" as %40)';
  }
  if (url.hostname === '') return 'has no host';
  return null;
}

/**
 * One problem line per URL setting (or AMQP_URL node) whose scheme is right but
 * which does not parse; `nameOf` gives the setting's name as the loader prints
 * it. Values are shown redacted only. A wrong scheme is the validators' line.
 */
export function urlSettingProblems(config: TransportConfig, nameOf: (property: string) => string): string[] {
  const problems: string[] = [];
  for (const { property, schemes } of URL_SETTINGS) {
    const value = config[property] as unknown;
    const list = Array.isArray(value) ? (value as unknown[]) : value === undefined ? [] : [value];
    list.forEach((item, i) => {
      if (typeof item !== 'string' || !schemes.some((scheme) => item.toLowerCase().startsWith(`${scheme}//`))) return;
      const problem = urlProblem(item);
      if (problem === null) return;
      const which = Array.isArray(value) && list.length > 1 ? ` node ${i + 1}` : '';
      problems.push(`${nameOf(property)}${which}: ${problem} (got ${JSON.stringify(shorten(redactUrl(item)))})`);
    });
  }
  return problems;
}

function shorten(text: string): string {
  return text.length > 120 ? `${text.slice(0, 120)}...` : text;
}
