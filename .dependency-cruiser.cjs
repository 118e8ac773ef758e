/**
 * The layers of src/, enforced by `npm run lint` (dependency-cruiser).
 *
 * src/ is grouped by the flow of a message: wire (the Vumi format), broker
 * (RabbitMQ), reply-path (held requests, replies), callers (who is calling),
 * request-path (HTTP in, messages out), operations (health, metrics, admin),
 * with common, config and platform (logging, tracing, Redis, draining) below.
 *
 * Each folder below is one layer, lowest first. A folder may import only
 * itself and folders listed before it: every arrow points down, no layer is
 * shared, so no two folders can use each other.
 */
const LAYERS = [
  'wire', // the Vumi wire format: pure TypeScript
  'common', // helpers with no app imports
  'config', // the typed settings (imports wire only)
  'platform/lifecycle', // the draining flag
  'platform/logging',
  'platform/tracing',
  'platform/redis', // the shared Redis client
  'broker', // RabbitMQ: connections, topology, the confirmed publisher
  'reply-path/pending-requests', // held requests and their one way out
  'reply-path/outbound', // replies consumed and dispatched
  'callers/identity', // the "who" of a request: client address, caller
  'callers/rate-limit',
  'callers/auth', // failed-login throttle, log, events
  'callers/credentials', // configured callers and password verification
  'request-path/http-server', // the Express adapter and route shortcut
  'request-path/inbound', // user messages built and published
  'request-path/idempotency',
  'request-path/http-api', // controller, pipes, guards, the one responder
  'operations/status', // Vumi status messages from response times
  'operations/health',
  'operations/shutdown',
  'operations/metrics',
  'operations/openapi',
  'operations/management',
  'demo',
];

const folders = (modules) => `^src/(${modules.join('|')})/`;
/** Unit specs may reach across (a spec of callers/ boots a config, a spec of http-api/ a guard); production code may not. */
const PRODUCTION = '\\.(spec|testing)\\.ts$';

const layerRules = LAYERS.slice(0, -1).map((layer, index) => ({
  name: `layer-${layer.replace('/', '-')}`,
  comment: `${layer} must not import a folder of a higher layer (see the LAYERS list in .dependency-cruiser.cjs)`,
  severity: 'error',
  from: { path: folders([layer]), pathNot: PRODUCTION },
  to: { path: `${folders(LAYERS.slice(index + 1))}|^src/[^/]+\.ts$` },
}));

module.exports = {
  forbidden: [
    {
      name: 'vumi-is-pure',
      comment: 'src/wire/ is the wire format: it imports nothing of the app',
      severity: 'error',
      from: { path: '^src/wire/' },
      to: { path: '^src/', pathNot: '^src/wire/' },
    },
    {
      name: 'vumi-no-frameworks',
      comment: 'src/wire/ is pure TypeScript: no Nest, no AMQP client',
      severity: 'error',
      from: { path: '^src/wire/' },
      to: {
        dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer'],
        path: 'node_modules/(@nestjs|amqplib|amqp-connection-manager)/',
      },
    },
    {
      name: 'config-imports-only-wire',
      comment: 'src/config/ is below everything but the wire format',
      severity: 'error',
      from: { path: '^src/config/' },
      to: { path: '^src/', pathNot: '^src/(config|wire)/' },
    },
    ...layerRules,
    {
      name: 'every-folder-has-a-layer',
      comment: 'a folder of src/ missing from LAYERS would escape the layer rules: add it there',
      severity: 'error',
      from: { path: '^src/.+/', pathNot: folders(LAYERS) },
      to: {},
    },
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
