import { dirname, join } from 'node:path';

/**
 * One of amqplib's own modules under lib/ (defs, api_args, mux, connection), loaded by its
 * file path. amqplib 1.2+ has an `exports` map without lib/, so a bare
 * `require('amqplib/lib/defs')` throws ERR_PACKAGE_PATH_NOT_EXPORTED; its public entry point
 * is resolved instead and the file beside it loaded, the very module amqplib itself uses.
 * Only the fast paths (publish-frames.ts) and their specs reach here, against the exact amqplib
 * version pinned in package.json; test/internals-canary.e2e-spec.ts says whether they still fit.
 */
export function requireAmqplibInternal(name: string): unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(join(dirname(require.resolve('amqplib')), 'lib', `${name}.js`)) as unknown;
}
