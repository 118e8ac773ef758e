import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { load } from 'js-yaml';
import { YAML_SCHEMA } from '../../src/config/yaml-schema';

export interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  profiles?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[]; disable?: boolean };
  stop_grace_period?: string;
  volumes?: string[];
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
  configs?: Record<string, { content?: string; file?: string }>;
}

/** The file as Compose reads it before interpolation (js-yaml resolves the `<<` merge keys). */
export function readComposeFile(path: string): ComposeFile {
  // Compose files share settings through merge keys (`<<: *transport`).
  return load(readFileSync(path, 'utf8'), { schema: YAML_SCHEMA }) as ComposeFile;
}

/** Problems against the Compose Specification's JSON schema (test/fixtures/compose-spec.schema.md). */
export function composeSchemaProblems(document: unknown): string[] {
  const schemaFile = join(__dirname, '..', 'fixtures', 'compose-spec.schema.json');
  // The schema names draft-07 by an https URL Ajv does not know; its keywords are draft-07's.
  const schema = JSON.parse(readFileSync(schemaFile, 'utf8')) as Record<string, unknown>;
  delete schema.$schema;
  // strictTypes off: the schema's oneOf branches leave `type: object` implicit.
  const validate = new Ajv({ allErrors: true, allowUnionTypes: true, strictTypes: false }).compile(schema);
  if (validate(document)) return [];
  return (validate.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message} ${JSON.stringify(error.params)}`);
}

/** A value as Compose would interpolate it from `env`: `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `$$`. */
export function interpolate(value: string, env: Record<string, string | undefined>): string {
  return value.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)-([^}]*))?\}/g,
    (match: string, name: string, colon: string | undefined, fallback: string | undefined) => {
      if (match === '$$') return '$';
      const given = env[name];
      if (fallback === undefined) return given ?? '';
      return given === undefined || (colon === ':' && given === '') ? fallback : given;
    },
  );
}

/** Variables a Compose value interpolates, e.g. `REPLY_EXPECTED` in `${REPLY_EXPECTED:-false}`. */
export function interpolatedNames(value: string): string[] {
  return [...value.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((match) => match[1]);
}
