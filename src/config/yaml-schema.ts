import { CORE_SCHEMA, mergeTag, type Schema } from 'js-yaml';

/**
 * YAML as js-yaml 4 read it by default, and as Vumi's (PyYAML) and Compose's
 * files are written: the YAML 1.2 core schema plus merge keys (`<<: *base`).
 * js-yaml 5's default is the core schema alone, which keeps `<<` as a plain
 * key: a CONFIG_FILE or CALLERS_FILE that shares settings through an anchor
 * would silently lose them.
 */
export const YAML_SCHEMA: Schema = CORE_SCHEMA.withTags([mergeTag]);
