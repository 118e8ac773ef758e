import { readFileSync } from 'node:fs';
import { load as parseYaml } from 'js-yaml';
import { YAML_SCHEMA } from './yaml-schema';
import { passwordHashProblem } from './password-hash-format';
import { SESSION_EVENTS } from '../wire/vumi-message';

/** A caller's own token bucket: `rate` requests per second, `burst` at once. */
export interface CallerRateLimit {
  readonly rate: number;
  readonly burst: number;
}

/** One entry of CALLERS_FILE / CALLERS, checked at boot; TransportConfig.callerEntries holds them. */
export interface CallerEntry {
  readonly username: string;
  readonly passwordHash: string;
  readonly rateLimit?: CallerRateLimit;
  readonly fieldDefaults?: Readonly<Record<string, string>>;
}

export interface CallerListSources {
  callersFile?: string;
  callers?: unknown[];
  webUsername?: string;
}

interface CallerList {
  entries: CallerEntry[];
  problems: string[];
}

/** A file holds a list, or a mapping with a `callers:` list; YAML reads JSON too. */
function readFileEntries(path: string, problems: string[]): unknown[] {
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(path, 'utf8'), { schema: YAML_SCHEMA });
  } catch (error) {
    problems.push(`CALLERS_FILE ${path}: ${(error as Error).message.split('\n')[0]}`);
    return [];
  }
  const list = Array.isArray(parsed) ? parsed : (parsed as { callers?: unknown } | null)?.callers;
  if (!Array.isArray(list)) {
    problems.push(`CALLERS_FILE ${path}: must hold a list of callers (or a mapping with a "callers" list)`);
    return [];
  }
  return list;
}

function checkRateLimit(value: unknown, where: string, problems: string[]): CallerRateLimit | undefined {
  if (value === undefined || value === null) return undefined;
  const { rate, burst } = (typeof value === 'object' ? value : {}) as { rate?: unknown; burst?: unknown };
  if (typeof rate !== 'number' || !Number.isFinite(rate) || rate <= 0) {
    problems.push(`${where}: rate_limit.rate must be a number of requests per second > 0`);
    return undefined;
  }
  const size = burst ?? Math.max(1, Math.ceil(rate));
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 1) {
    problems.push(`${where}: rate_limit.burst must be an integer >= 1`);
    return undefined;
  }
  return { rate, burst: size };
}

function checkDefaults(value: unknown, where: string, problems: string[]): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    problems.push(`${where}: field_defaults must be a mapping of field names to strings`);
    return undefined;
  }
  const bad = Object.entries(value).filter(([, v]) => typeof v !== 'string');
  for (const [key] of bad) problems.push(`${where}: field_defaults.${key} must be a string`);
  const sessionEvent = (value as Record<string, unknown>).session_event;
  if (typeof sessionEvent === 'string' && !(SESSION_EVENTS as readonly string[]).includes(sessionEvent)) {
    // Else every request of this caller would fail validation, as for FIELD_DEFAULTS.
    problems.push(`${where}: field_defaults.session_event must be new, resume or close`);
    return undefined;
  }
  return bad.length === 0 ? (value as Record<string, string>) : undefined;
}

function checkEntry(raw: unknown, where: string, problems: string[]): CallerEntry | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    problems.push(`${where}: must be a mapping with username and password_hash`);
    return undefined;
  }
  const item = raw as Record<string, unknown>;
  const username = item.username;
  if (typeof username !== 'string' || username === '' || username.includes(':')) {
    problems.push(`${where}: username must be a non-empty string without ":"`);
    return undefined;
  }
  const named = `${where} (${username})`;
  const hashProblem = passwordHashProblem(item.password_hash);
  if (hashProblem) problems.push(`${named}: password_hash ${hashProblem}`);
  const before = problems.length;
  const rateLimit = checkRateLimit(item.rate_limit, named, problems);
  const fieldDefaults = checkDefaults(item.field_defaults, named, problems);
  if (hashProblem || problems.length > before) return undefined;
  return { username, passwordHash: item.password_hash as string, rateLimit, fieldDefaults };
}

/**
 * The callers of CALLERS_FILE then CALLERS, with one problem line per
 * mistake (config-loader reports them at boot). Read once, at boot: the app
 * uses TransportConfig.callerEntries. User names are unique, and none may
 * shadow WEB_USERNAME.
 */
export function readCallerList(sources: CallerListSources): CallerList {
  const problems: string[] = [];
  const raw: Array<[string, unknown]> = [];
  if (sources.callersFile) {
    readFileEntries(sources.callersFile, problems).forEach((item, i) => raw.push([`CALLERS_FILE entry ${i + 1}`, item]));
  }
  (sources.callers ?? []).forEach((item, i) => raw.push([`CALLERS entry ${i + 1}`, item]));
  const entries: CallerEntry[] = [];
  const seen = new Set(sources.webUsername === undefined ? [] : [sources.webUsername]);
  for (const [where, item] of raw) {
    const entry = checkEntry(item, where, problems);
    if (!entry) continue;
    if (seen.has(entry.username)) {
      problems.push(`${where}: username "${entry.username}" is already taken (WEB_USERNAME or an earlier entry)`);
      continue;
    }
    seen.add(entry.username);
    entries.push(entry);
  }
  return { entries, problems };
}

/** Whether a callers list is configured (then the API path needs Basic auth even without WEB_USERNAME). */
export function callersConfigured(sources: CallerListSources): boolean {
  return Boolean(sources.callersFile) || (sources.callers?.length ?? 0) > 0;
}
