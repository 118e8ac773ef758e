import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { loadAll as parseYamlDocuments } from 'js-yaml';
import { YAML_SCHEMA } from './yaml-schema';
import { SETTING_SOURCES } from './config-sources';
import { SettingKind, SettingSource } from './setting';
import { TransportConfig } from './transport-config';
import { redactValue } from './url-redaction';
import { CallerEntry, readCallerList } from './caller-entries';
import { normalisePath } from './paths';

/** The configured paths, each given a leading slash here once: the rest of the app reads them as they are. */
const PATH_SETTINGS = ['webPath', 'healthPath', 'livenessPath', 'readinessPath', 'metricsPath', 'docsPath'] as const;
import { urlSettingProblems } from './url-settings';

/** Thrown at boot with one line per problem; main.ts prints them and exits 1. */
export class InvalidConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'InvalidConfigError';
  }
}

type Env = Record<string, string | undefined>;

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

/** Turns an env string into the setting's type; leaves it as-is when it does not parse, so validation names it. */
function parseEnvValue(kind: SettingKind, text: string): unknown {
  const trimmed = text.trim();
  switch (kind) {
    case 'string':
      return text;
    case 'int':
      return /^[-+]?\d+$/.test(trimmed) ? Number(trimmed) : text;
    case 'float':
      return trimmed !== '' && Number.isFinite(Number(trimmed)) ? Number(trimmed) : text;
    case 'bool': {
      const lower = trimmed.toLowerCase();
      return TRUE.has(lower) ? true : FALSE.has(lower) ? false : text;
    }
    case 'list':
      if (trimmed.startsWith('[')) return parseJson(trimmed);
      return trimmed === '' ? [] : trimmed.split(',').map((item) => item.trim());
    case 'object':
      return trimmed === '' ? {} : parseJson(trimmed);
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** YAML already has types; only coerce what Vumi configs commonly quote. */
function normaliseYamlValue(kind: SettingKind, value: unknown): unknown {
  if (typeof value === 'string' && kind !== 'string') return parseEnvValue(kind, value);
  return value;
}

function readYamlFile(path: string, problems: string[]): Record<string, unknown> {
  let parsed: unknown;
  try {
    // js-yaml 5's load() refuses a file without a document (empty, or comments only); loadAll gives [] for it.
    const documents = parseYamlDocuments(readFileSync(path, 'utf8'), { schema: YAML_SCHEMA });
    if (documents.length > 1) throw new Error('holds more than one YAML document');
    parsed = documents[0];
  } catch (error) {
    problems.push(`CONFIG_FILE ${path}: ${(error as Error).message.split('\n')[0]}`);
    return {};
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    problems.push(`CONFIG_FILE ${path}: must hold a mapping of Vumi config keys`);
    return {};
  }
  return parsed as Record<string, unknown>;
}

function describe(source: SettingSource): string {
  return source.vumiKey ? `${source.env} (${source.vumiKey})` : source.env;
}

function collectRaw(env: Env, problems: string[]): Record<string, unknown> {
  const yaml = env.CONFIG_FILE ? readYamlFile(env.CONFIG_FILE, problems) : {};
  const raw: Record<string, unknown> = {};
  for (const source of SETTING_SOURCES) {
    const fromEnv = env[source.env];
    if (fromEnv !== undefined && fromEnv !== '') {
      raw[source.property] = parseEnvValue(source.kind, fromEnv);
    } else if (source.vumiKey && yaml[source.vumiKey] !== undefined && yaml[source.vumiKey] !== null) {
      raw[source.property] = normaliseYamlValue(source.kind, yaml[source.vumiKey]);
    }
  }
  return raw;
}

/**
 * A value of the wrong type fails its range checks too ("abc" for a port is
 * not <= 65535 either): report the type check, the one that helps.
 */
const TYPE_CONSTRAINTS = ['isInt', 'isNumber', 'isBoolean', 'isString', 'isObject', 'isIn', 'matches'];

/**
 * Settings whose value is never echoed, not even redacted: a password, or the
 * callers list (password hashes are offline-crackable, and a CALLERS that is
 * not JSON is raw text no redaction can make safe). Their line names the
 * setting and what is wrong with it, nothing of the value.
 */
const NEVER_ECHOED = new Set(['webPassword', 'callers', 'adminToken']);

function shown(property: string, value: unknown): string {
  if (NEVER_ECHOED.has(property)) return '';
  // Values are echoed redacted: a bad AMQP_URL or REDIS_URL must not print its password.
  const given = JSON.stringify(redactValue(value)) ?? 'undefined';
  return ` (got ${given.length > 80 ? `${given.slice(0, 80)}...` : given})`;
}

function nameOf(property: string): string {
  const source = SETTING_SOURCES.find((s) => s.property === property);
  return source ? describe(source) : property;
}

function flattenErrors(errors: ValidationError[]): string[] {
  const lines: string[] = [];
  for (const error of errors) {
    const name = nameOf(error.property);
    const constraints = error.constraints ?? {};
    const key = TYPE_CONSTRAINTS.find((type) => type in constraints) ?? Object.keys(constraints)[0];
    if (key === undefined) continue;
    // class-validator phrases messages as "<property> must ..."; name the variable instead (one line per setting).
    const text = constraints[key]
      .replace(new RegExp(`^(each value in )?${error.property} `), (_, each) => (each ? 'each value ' : ''))
      .replace('a number conforming to the specified constraints', 'a number');
    const what = error.property === 'callers' ? 'must be a JSON array of callers (the value is not shown: it holds password hashes)' : text;
    lines.push(`${name}: ${what}${shown(error.property, error.value)}`);
  }
  return lines;
}

const MESSAGE_FIELDS = ['content', 'to_addr', 'from_addr'];

function crossFieldProblems(config: TransportConfig): string[] {
  const problems: string[] = [];
  if ((config.webUsername === undefined) !== (config.webPassword === undefined)) {
    problems.push('WEB_PASSWORD (web_password): must be set if and only if WEB_USERNAME (web_username) is set');
  }
  const defaults = config.fieldDefaults;
  if (defaults && typeof defaults === 'object' && !Array.isArray(defaults)) {
    for (const [key, value] of Object.entries(defaults)) {
      if (typeof value !== 'string') {
        problems.push(`FIELD_DEFAULTS (field_defaults): value of "${key}" must be a string`);
      }
    }
    if (Array.isArray(config.allowedFields)) {
      for (const field of MESSAGE_FIELDS) {
        if (!config.allowedFields.includes(field) && !(field in defaults)) {
          problems.push(`ALLOWED_FIELDS (allowed_fields): "${field}" must be allowed or have a field default`);
        }
      }
    }
  }
  const sessionEvent = defaults?.session_event;
  if (sessionEvent !== undefined && !['new', 'resume', 'close'].includes(sessionEvent)) {
    // Otherwise every request would fail with invalid_parameter.
    problems.push('FIELD_DEFAULTS (field_defaults): session_event must be new, resume or close');
  }
  if (config.responseTimeDegraded > config.responseTimeDown) {
    problems.push('RESPONSE_TIME_DEGRADED (response_time_degraded): must not exceed RESPONSE_TIME_DOWN');
  }
  return problems;
}

function defaultInstanceId(): string {
  const host =
    hostname()
      .replace(/[^a-zA-Z0-9_.-]/g, '-')
      .slice(0, 100) || 'instance';
  return `${host}-${randomBytes(4).toString('hex')}`;
}

/** Builds and validates the configuration; throws InvalidConfigError listing every problem. */
export function loadConfig(env: Env = process.env): TransportConfig {
  const problems: string[] = [];
  const raw = collectRaw(env, problems);
  const config = plainToInstance(TransportConfig, raw, { exposeDefaultValues: true });
  config.instanceId ??= defaultInstanceId();
  problems.push(...flattenErrors(validateSync(config, { forbidUnknownValues: false })));
  problems.push(...crossFieldProblems(config));
  problems.push(...urlSettingProblems(config, nameOf));
  // The callers list is read here once (CALLERS_FILE from disk): a bad one is a boot error, and the
  // app uses the typed entries (callers/ reads nothing again).
  const callers = Array.isArray(config.callers) ? config.callers : undefined;
  const callerList = readCallerList({ ...config, callers });
  problems.push(...callerList.problems);
  if (problems.length > 0) throw new InvalidConfigError(problems);
  for (const setting of PATH_SETTINGS) config[setting] = normalisePath(config[setting]);
  config.callerEntries = Object.freeze(callerList.entries.map((entry) => Object.freeze(entry)));
  Object.assign(config, millisecondsOf(config));
  return Object.freeze(config);
}

/**
 * The callers list read again, for a reload while running (SIGHUP, /admin/reload, CALLERS_FILE
 * changed): CALLERS_FILE from disk again, CALLERS as the configuration holds it, with the very
 * checks of boot. Problems come back as lines (never a password hash); the caller keeps what it
 * had when there are any. Nothing else of the configuration changes.
 */
export function rereadCallerEntries(config: TransportConfig): { entries: readonly CallerEntry[]; problems: string[] } {
  const callers = Array.isArray(config.callers) ? config.callers : undefined;
  const list = readCallerList({ callersFile: config.callersFile, callers, webUsername: config.webUsername });
  return { entries: Object.freeze(list.entries.map((entry) => Object.freeze(entry))), problems: list.problems };
}

/** The milliseconds of TransportConfig's `…Ms` properties: the one place seconds become milliseconds. */
export function millisecondsOf(config: TransportConfig): Pick<TransportConfig, DurationMs> {
  return {
    publishTimeoutMs: config.publishTimeout * 1000,
    requestTimeoutMs: config.requestTimeout * 1000,
    requestCleanupIntervalMs: config.requestCleanupInterval * 1000,
    shutdownTimeoutMs: config.shutdownTimeout * 1000,
    idempotencyWindowMs: config.idempotencyWindow * 1000,
    httpHeadersTimeoutMs: config.httpHeadersTimeout * 1000,
    httpRequestTimeoutMs: config.httpRequestTimeout * 1000,
    httpKeepAliveTimeoutMs: config.httpKeepAliveTimeout * 1000,
    // Fractions of a second are allowed here (0.5 by default); ioredis wants whole milliseconds.
    redisCommandTimeoutMs: Math.round(config.redisCommandTimeout * 1000),
    redisProbeIntervalMs: Math.round(config.redisProbeInterval * 1000),
  };
}

type DurationMs = Extract<keyof TransportConfig, `${string}Ms`>;
