import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getMetadataStorage } from 'class-validator';
import { LOADER_VARIABLES, SETTING_SOURCES } from './config-sources';
import { SETTING_SECTION_TITLES, SETTING_SECTIONS, SettingSection, SettingSource } from './setting';
import { TransportConfig } from './transport-config';

/**
 * One declaration per setting (@Setting on its TransportConfig property); this
 * checks that declaration against what documents it: `.env.example` (present
 * under its section's heading, with the same default) and README's settings
 * tables (a row, with the same default and, for Vumi's options, the same key).
 */

const ROOT = join(__dirname, '..', '..');
/** Properties the loader fills from settings, not settings of their own. */
const DERIVED = new Set<string>([
  'callerEntries',
  'publishTimeoutMs',
  'requestTimeoutMs',
  'requestCleanupIntervalMs',
  'shutdownTimeoutMs',
  'idempotencyWindowMs',
  'httpHeadersTimeoutMs',
  'httpRequestTimeoutMs',
  'httpKeepAliveTimeoutMs',
  'redisCommandTimeoutMs',
  'redisProbeIntervalMs',
]);
const DEFAULTS = new TransportConfig() as unknown as Record<string, unknown>;

/** A default as `.env.example` and README spell it: lists comma-separated, objects as JSON. */
function spelled(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return value.join(',');
  if (typeof value === 'object') return JSON.stringify(value);
  return `${value as string | number | boolean}`;
}

function sameValue(source: SettingSource, text: string, value: unknown): boolean {
  if (source.kind === 'int' || source.kind === 'float') return Number(text) === value;
  return text === spelled(value);
}

interface EnvEntry {
  value: string;
  commentedOut: boolean;
  section?: string;
}

function readEnvExample(): Map<string, EnvEntry> {
  const entries = new Map<string, EnvEntry>();
  let section: string | undefined;
  for (const line of readFileSync(join(ROOT, '.env.example'), 'utf8').split('\n')) {
    const heading = /^# ---- (.+) ----$/.exec(line);
    if (heading) section = heading[1];
    const variable = /^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (variable) {
      const value = variable[3].replace(/^(["'])(.*)\1$/, '$2');
      entries.set(variable[2], { value, commentedOut: variable[1] !== undefined, section });
    }
  }
  return entries;
}

interface ReadmeRow {
  vumiKey?: string;
  defaultCell: string;
}

/** The rows of README's two settings tables: `| vumi key | VARIABLE | default | meaning |` and `| VARIABLE | default | meaning |`. */
function readReadmeRows(): Map<string, ReadmeRow> {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const settings = readme.slice(readme.indexOf('## Settings'), readme.indexOf('\n## ', readme.indexOf('## Settings') + 1));
  const rows = new Map<string, ReadmeRow>();
  for (const line of settings.split('\n')) {
    const cells = line
      .split('|')
      .slice(1, -1)
      .map((cell) => cell.trim());
    const vumi = cells.length === 4 && /^`[a-z_]+`$/.test(cells[0]) && /^`[A-Z0-9_]+`$/.test(cells[1]);
    const own = cells.length === 3 && /^`[A-Z0-9_]+`$/.test(cells[0]);
    if (vumi) rows.set(cells[1].slice(1, -1), { vumiKey: cells[0].slice(1, -1), defaultCell: cells[2] });
    else if (own) rows.set(cells[0].slice(1, -1), { defaultCell: cells[1] });
  }
  return rows;
}

/** Whether a README default cell says what the default is: `value` (first code span), `empty`, or for no default `unset` or how it is derived. */
function readmeSaysDefault(source: SettingSource, cell: string, value: unknown): boolean {
  if (value === undefined) return cell === 'unset' || /[A-Z]{3,}_[A-Z_]+|host name/.test(cell);
  if (spelled(value) === '') return cell === 'empty';
  const code = /`([^`]*)`/.exec(cell);
  return code !== null && sameValue(source, code[1], value);
}

describe('settings: one declaration each, documented as declared', () => {
  it('declares every property of TransportConfig as a setting (or as derived by the loader)', () => {
    const validated = getMetadataStorage()
      .getTargetValidationMetadatas(TransportConfig, '', true, false)
      .map((metadata) => metadata.propertyName);
    const properties = new Set([...Object.keys(DEFAULTS), ...validated]);
    const declared = new Set<string>(SETTING_SOURCES.map((source) => source.property));
    expect([...properties].filter((property) => !declared.has(property) && !DERIVED.has(property))).toEqual([]);
    expect([...declared].filter((property) => !properties.has(property))).toEqual([]);
    expect(new Set(SETTING_SOURCES.map((source) => source.env)).size).toBe(SETTING_SOURCES.length);
  });

  it('declares the settings section by section, in the order of SETTING_SECTIONS', () => {
    const order = SETTING_SOURCES.map((source) => SETTING_SECTIONS.indexOf(source.section));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    const used = new Set<SettingSection>(SETTING_SOURCES.map((source) => source.section));
    expect([...used].sort()).toEqual([...SETTING_SECTIONS].sort());
  });

  it.each(SETTING_SOURCES.map((source) => [source.env, source] as const))(
    '%s is in .env.example under its section, with its default (commented out when it has none)',
    (_env, source) => {
      const entry = readEnvExample().get(source.env);
      const value = DEFAULTS[source.property];
      expect(entry).toBeDefined();
      expect(entry!.section).toBe(SETTING_SECTION_TITLES[source.section]);
      expect(entry!.commentedOut).toBe(value === undefined);
      if (value !== undefined) expect([source.env, sameValue(source, entry!.value, value)]).toEqual([source.env, true]);
    },
  );

  it('lists nothing else in .env.example but the loader variables', () => {
    const known = new Set<string>([...SETTING_SOURCES.map((source) => source.env), ...LOADER_VARIABLES]);
    expect([...readEnvExample().keys()].filter((name) => !known.has(name))).toEqual([]);
  });

  it.each(SETTING_SOURCES.map((source) => [source.env, source] as const))(
    '%s has a row in README with its default (and its Vumi key in the Vumi table)',
    (_env, source) => {
      const row = readReadmeRows().get(source.env);
      expect(row).toBeDefined();
      if (row!.vumiKey !== undefined) expect(row!.vumiKey).toBe(source.vumiKey);
      else expect([source.env, source.vumiKey === undefined || source.env === 'AMQP_URL']).toEqual([source.env, true]);
      expect([source.env, row!.defaultCell, readmeSaysDefault(source, row!.defaultCell, DEFAULTS[source.property])]).toEqual([
        source.env,
        row!.defaultCell,
        true,
      ]);
    },
  );

  it('documents no variable in README that is not a setting', () => {
    const known = new Set<string>([...SETTING_SOURCES.map((source) => source.env), ...LOADER_VARIABLES]);
    expect([...readReadmeRows().keys()].filter((name) => !known.has(name))).toEqual([]);
  });
});
