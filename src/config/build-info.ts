import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Which build answers: in the start log line, `/health`, `vumi_http_api_build_info` and the OpenAPI document. */
export interface BuildInfo {
  /** package.json's version. */
  version: string;
  /** The git revision: GIT_REVISION (the image's build argument), else `git rev-parse` here, else `unknown`. */
  revision: string;
  /** The Node.js this process runs on, e.g. `v22.23.5`. */
  node: string;
}

/** package.json's version: two folders up from this file, in src/config and in dist/config alike. */
export function packageVersion(): string {
  const text = readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}

function gitRevision(): string {
  try {
    // A checkout (npm run dev, the tests); the image has no .git and gets GIT_REVISION instead.
    return execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: __dirname, stdio: ['ignore', 'pipe', 'ignore'], timeout: 2000 })
      .toString()
      .trim();
  } catch {
    return 'unknown';
  }
}

let cached: BuildInfo | undefined;

/** This build's identity; `revision` is the configured GIT_REVISION when set. */
export function buildInfo(configured?: { gitRevision?: string }): BuildInfo {
  if (configured?.gitRevision) return { ...(cached ?? baseInfo()), revision: configured.gitRevision };
  cached ??= { ...baseInfo(), revision: gitRevision() };
  return cached;
}

function baseInfo(): BuildInfo {
  return { version: packageVersion(), revision: 'unknown', node: process.version };
}
