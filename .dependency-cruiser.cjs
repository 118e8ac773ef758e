/**
 * The layers of src/, enforced by `npm run lint` (dependency-cruiser).
 *
 * A module (a folder of src/) may import only modules of lower layers, and the
 * modules of its own layer. Read from the code, lowest first:
 *
 *   wire       vumi (the wire format, pure TypeScript), common (constants, helpers)
 *   config     config (the typed settings; imports vumi only)
 *   infra      logging, tracing, redis, http-server (the Express adapter and route shortcut)
 *   broker     amqp (connections, the confirmed publisher, queue declarations)
 *   held       pending-requests (held requests and their outcomes)
 *   consumers  outbound (replies), status (status messages)
 *   lifecycle  lifecycle (draining, shutdown)
 *   inbound    inbound (the inbound message service), health
 *   auth       callers, auth, client-identity, rate-limit (one layer: they use each other)
 *   retries    idempotency
 *   metrics    metrics
 *   api        http-api (controller, pipes, guard, the one responder)
 *   edges      management, openapi
 *   app        demo, and src/*.ts (app.module, bootstrap, main)
 */
const LAYERS = [
  ['vumi', 'common'],
  ['config'],
  ['logging', 'tracing', 'redis', 'http-server'],
  ['amqp'],
  ['pending-requests'],
  ['outbound', 'status'],
  ['lifecycle'],
  ['inbound', 'health'],
  ['callers', 'auth', 'client-identity', 'rate-limit'],
  ['idempotency'],
  ['metrics'],
  ['http-api'],
  ['management', 'openapi'],
  ['demo'],
];

const folders = (modules) => `^src/(${modules.join('|')})/`;
/** Unit specs may reach across (a spec of callers/ boots a config, a spec of http-api/ a guard); production code may not. */
const PRODUCTION = '\\.(spec|testing)\\.ts$';

const layerRules = LAYERS.slice(0, -1).map((modules, index) => ({
  name: `layer-${modules.join('+')}`,
  comment: `${modules.join(', ')} must not import a module of a higher layer (see the LAYERS list in .dependency-cruiser.cjs)`,
  severity: 'error',
  from: { path: folders(modules), pathNot: PRODUCTION },
  to: { path: `${folders(LAYERS.slice(index + 1).flat())}|^src/[^/]+\\.ts$` },
}));

module.exports = {
  forbidden: [
    {
      name: 'vumi-is-pure',
      comment: 'src/vumi/ is the wire format: it imports nothing of the app',
      severity: 'error',
      from: { path: '^src/vumi/' },
      to: { path: '^src/', pathNot: '^src/vumi/' },
    },
    {
      name: 'vumi-no-frameworks',
      comment: 'src/vumi/ is pure TypeScript: no Nest, no AMQP client',
      severity: 'error',
      from: { path: '^src/vumi/' },
      to: { dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer'], path: 'node_modules/(@nestjs|amqplib|amqp-connection-manager)/' },
    },
    {
      name: 'config-imports-only-vumi',
      comment: 'src/config/ is below everything but the wire format',
      severity: 'error',
      from: { path: '^src/config/' },
      to: { path: '^src/', pathNot: '^src/(config|vumi)/' },
    },
    ...layerRules,
    {
      name: 'no-test-code-in-src',
      comment: 'production code never imports tests, test support, bench code or spec helpers',
      severity: 'error',
      from: { path: '^src/', pathNot: PRODUCTION },
      to: { path: `^(test|bench)/|${PRODUCTION}` },
    },
    {
      name: 'no-circular',
      comment: 'no import cycles (madge checks them too)',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(dist|node_modules)/' },
  },
};
