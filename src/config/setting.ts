/** How an environment string becomes the setting's value (config-loader.ts parses by it). */
export type SettingKind = 'string' | 'int' | 'float' | 'bool' | 'list' | 'object';

/**
 * The groups settings are declared and documented in, in this order: in
 * TransportConfig, `.env.example` and README's settings tables alike.
 */
export const SETTING_SECTIONS = ['broker', 'http', 'replies', 'auth', 'limits', 'observability'] as const;
export type SettingSection = (typeof SETTING_SECTIONS)[number];

/** Each section's heading, `# ---- <title> ----` in `.env.example` and `// ---- <title> ----` in TransportConfig. */
export const SETTING_SECTION_TITLES: Readonly<Record<SettingSection, string>> = {
  broker: 'the broker (and Redis, shared by the instances)',
  http: 'HTTP: listener, paths, fields',
  replies: 'replies (reply mode) and the response health',
  auth: 'authentication and callers (docs/retries-and-limits.md, "Authentication")',
  limits: 'limits and retries (docs/retries-and-limits.md)',
  observability: 'observability: logs, traces, metrics, docs',
};

export interface SettingDeclaration {
  /** The environment variable. */
  env: string;
  /** The key in a Vumi YAML config file, for Vumi's own options (and `amqp_url`, the broker's nodes). */
  vumiKey?: string;
  kind: SettingKind;
  section: SettingSection;
}

export interface SettingSource<Property extends string = string> extends SettingDeclaration {
  property: Property;
}

const declared = new WeakMap<object, SettingSource[]>();

/**
 * Declares a TransportConfig property a setting: where it is read from and
 * how it is parsed, on the property itself, so that there is no second table
 * to keep in step (config-sources.ts derives SETTING_SOURCES from these).
 */
export function Setting(declaration: SettingDeclaration): PropertyDecorator {
  return (prototype: object, property: string | symbol) => {
    const sources = declared.get(prototype.constructor) ?? [];
    if (sources.some((source) => source.env === declaration.env)) {
      throw new Error(`Setting ${declaration.env} is declared twice`);
    }
    sources.push({ ...declaration, property: String(property) });
    declared.set(prototype.constructor, sources);
  };
}

/** The settings a class declared with @Setting, in declaration order. */
export function settingsOf<T>(settingsClass: new () => T): ReadonlyArray<SettingSource<Extract<keyof T, string>>> {
  return Object.freeze([...(declared.get(settingsClass) ?? [])]) as ReadonlyArray<SettingSource<Extract<keyof T, string>>>;
}
