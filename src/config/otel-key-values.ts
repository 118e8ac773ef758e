/**
 * OpenTelemetry's `key=value,key2=value2` lists (OTEL_RESOURCE_ATTRIBUTES,
 * OTEL_EXPORTER_OTLP_HEADERS): keys trimmed, values trimmed and
 * percent-decoded, as the OpenTelemetry environment specification says.
 * Returns undefined for a list that does not parse, so the configuration
 * can refuse it at boot instead of the exporter failing later.
 */
export function parseOtelKeyValues(text: string): Record<string, string> | undefined {
  const pairs: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const item of text.split(',')) {
    if (item.trim() === '') continue;
    const equals = item.indexOf('=');
    if (equals <= 0) return undefined;
    const key = item.slice(0, equals).trim();
    if (key === '') return undefined;
    try {
      pairs[key] = decodeURIComponent(item.slice(equals + 1).trim());
    } catch {
      return undefined;
    }
  }
  return pairs;
}

/** The OTLP/HTTP traces URL: the signal's own endpoint as given, else the base endpoint with `/v1/traces` appended. */
export function otlpTracesUrl(baseEndpoint: string | undefined, tracesEndpoint: string | undefined): string | undefined {
  if (tracesEndpoint) return tracesEndpoint;
  if (!baseEndpoint) return undefined;
  return `${baseEndpoint.replace(/\/+$/, '')}/v1/traces`;
}
