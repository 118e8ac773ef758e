import { join, resolve } from 'node:path';

/** The project root, whatever directory `npm run bench` was started from. */
export const ROOT = resolve(__dirname, '..', '..');
/** Git-ignored: results, logs, profiles and the compiled baseline. */
export const RESULTS_DIR = join(ROOT, 'bench', 'results');
export const BUILD_DIR = join(RESULTS_DIR, 'build');
export const DIST_DIR = join(ROOT, 'dist');
