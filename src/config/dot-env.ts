import { existsSync } from 'node:fs';

/** The dotenv file of the working directory, loaded when present (`npm run dev`, a local `node dist/main.js`). */
export const DOT_ENV = '.env';

/**
 * Fills the environment from `.env` before the configuration is read, so that
 * the config module stays the only reader of the environment. Variables set
 * in the real environment win over the file (Node's loadEnvFile never
 * overrides). Containers have no `.env` (.dockerignore keeps it out).
 */
export function loadDotEnv(): void {
  if (!existsSync(DOT_ENV)) return;
  // process.loadEnvFile arrived in Node 20.12; on an older Node say so rather than ignore the file.
  if (typeof process.loadEnvFile !== 'function')
    throw new Error(`${DOT_ENV} found but this Node (${process.version}) cannot load it; use Node 20.12+`);
  process.loadEnvFile(DOT_ENV);
}
