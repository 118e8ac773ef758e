import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidConfigError, loadConfig } from './config-loader';
import { SETTING_SOURCES } from './config-sources';
import { DEFAULT_ALLOWED_FIELDS, TransportConfig } from './transport-config';

type Env = Record<string, string>;

/** The problem lines loadConfig reports for an environment. */
function problemsOf(env: Env): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidConfigError);
    return (error as InvalidConfigError).problems;
  }
  throw new Error(`expected InvalidConfigError for ${JSON.stringify(env)}`);
}

let dir: string;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'config-loader-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function yamlFile(text: string): string {
  const path = join(dir, `config-${++files}.yaml`);
  writeFileSync(path, text);
  return path;
}

describe('loadConfig defaults', () => {
  it('gives every documented default with an empty environment, field by field', () => {
    const config = loadConfig({});
    expect(config).toBeInstanceOf(TransportConfig);
    // Every property, one line each: a new setting without a line here fails the key check below.
    const expected: { [K in keyof TransportConfig]-?: unknown } = {
      // the broker
      transportName: 'http_api',
      amqpUrls: ['amqp://guest:guest@localhost:5672/'],
      amqpQueueType: 'classic',
      amqpPrefetchCount: 20,
      amqpReconnectInterval: 2,
      amqpHeartbeat: 5,
      instanceId: expect.stringMatching(/^[a-zA-Z0-9_.-]+-[0-9a-f]{8}$/), // host name + random suffix
      publishStatus: false,
      amqpRequestIdHeader: true,
      publishTimeout: 5,
      redisUrl: undefined, // in memory, per instance
      redisKeyPrefix: 'vumi_http_api:',
      redisSentinels: [],
      redisMasterName: 'mymaster',
      redisPassword: undefined,
      redisSentinelPassword: undefined,
      redisCommandTimeout: 0.5,
      redisProbeInterval: 1,
      redisWaitReplicas: 0,
      // HTTP
      host: '0.0.0.0',
      webPort: 8080,
      webPath: '/http_api',
      healthPath: '/health', // Vumi's default 'health', given its leading slash
      livenessPath: '/health/live',
      readinessPath: '/health/ready',
      validationMode: 'strict',
      allowedFields: ['content', 'to_addr', 'from_addr', 'group', 'session_event'],
      fieldDefaults: {},
      httpHeadersTimeout: 10,
      httpRequestTimeout: 30,
      httpKeepAliveTimeout: 5,
      retryAfter: 5,
      shutdownTimeout: 30,
      // replies
      replyExpected: false,
      requestTimeout: 240,
      requestCleanupInterval: 5,
      requestTimeoutStatusCode: 504,
      requestTimeoutBody: '',
      replyFormat: 'text',
      responseTimeDown: 10,
      responseTimeDegraded: 1,
      responseStatusWindow: 60,
      healthFailOnResponseDown: false,
      // authentication and callers
      webUsername: undefined, // no auth
      webPassword: undefined,
      webAuthDomain: 'Vumi HTTP RPC transport',
      callersFile: undefined,
      callers: undefined,
      callerEntries: [],
      trustProxy: [],
      authFailureRate: 1,
      authFailureBurst: 10,
      authNameFailureRate: 1,
      authNameFailureBurst: 20,
      authMaxVerifications: 1,
      // limits and retries
      maxPendingPublishes: 10000,
      maxPendingRequests: 50000,
      maxPendingPerClient: undefined, // a quarter of maxPendingRequests (src/reply-path/pending-requests/client-shares.ts)
      bodyLimit: 65536,
      bodyBudget: 33554432,
      bodyBudgetPerAddress: 4194304,
      maxConnections: 10000,
      maxConnectionsPerAddress: 1000,
      maxParameters: 1000,
      maxOutboundMessageBytes: 1024 * 1024,
      rateLimitRate: 0,
      rateLimitBurst: 10,
      idempotencyWindow: 86400,
      idempotencyMaxKeys: 100000,
      idempotencyMaxBytes: 64 * 1024 * 1024,
      idempotencyMaxBytesPerClient: undefined, // a quarter of idempotencyMaxBytes
      idempotencyMaxEntryBytes: 65536,
      // observability
      noisy: false,
      logLevel: 'info',
      logPretty: false,
      logRequests: false,
      otelEnabled: false,
      otelExporterOtlpEndpoint: undefined, // the exporter's default
      otelExporterOtlpTracesEndpoint: undefined,
      otelExporterOtlpHeaders: undefined,
      otelServiceName: 'vumi-http-api-transport',
      otelResourceAttributes: undefined,
      otelTracesSampler: 'parentbased_always_on',
      otelTracesSamplerArg: 1,
      otelBspScheduleDelay: 5000,
      metricsEnabled: true,
      metricsPath: '/metrics',
      docsEnabled: true,
      docsPath: '/docs',
      managementPort: undefined, // metrics and docs on WEB_PORT unless asked
      adminToken: undefined, // no runtime controls unless asked
      inboundQueueCheckInterval: 5,
      // derived: the durations in milliseconds, converted once here
      publishTimeoutMs: 5000,
      requestTimeoutMs: 240_000,
      requestCleanupIntervalMs: 5000,
      shutdownTimeoutMs: 30_000,
      idempotencyWindowMs: 86_400_000,
      httpHeadersTimeoutMs: 10_000,
      httpRequestTimeoutMs: 30_000,
      httpKeepAliveTimeoutMs: 5000,
      redisCommandTimeoutMs: 500,
      redisProbeIntervalMs: 1000,
      fastPaths: 'on',
      gitRevision: undefined,
    };
    for (const [property, value] of Object.entries(expected)) {
      expect([property, config[property as keyof TransportConfig]]).toEqual([property, value]);
    }
    // Nothing more and nothing less: every setting, and every property of the object, has its line above.
    const properties = new Set([...Object.keys(config), ...SETTING_SOURCES.map((source) => source.property)]);
    expect([...properties].sort()).toEqual(Object.keys(expected).sort());
    expect(DEFAULT_ALLOWED_FIELDS).toEqual(expected.allowedFields);
  });

  it('makes an instance id of the host name and a random suffix unless INSTANCE_ID is set', () => {
    const a = loadConfig({}).instanceId;
    expect(a).toMatch(/^[a-zA-Z0-9_.-]+-[0-9a-f]{8}$/);
    expect(loadConfig({}).instanceId).not.toBe(a);
    expect(loadConfig({ INSTANCE_ID: 'pod-1' }).instanceId).toBe('pod-1');
  });

  it('returns a frozen object', () => {
    const config = loadConfig({});
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('gives every configured path its leading slash, once, so the app reads them as they are', () => {
    const config = loadConfig({
      WEB_PATH: 'api',
      HEALTH_PATH: '//ping',
      LIVENESS_PATH: 'live',
      READINESS_PATH: '/ready',
      METRICS_PATH: 'stats',
      DOCS_PATH: 'api-docs',
    });
    expect(config).toMatchObject({
      webPath: '/api',
      healthPath: '/ping',
      livenessPath: '/live',
      readinessPath: '/ready',
      metricsPath: '/stats',
      docsPath: '/api-docs',
    });
  });

  it('counts an empty variable as unset', () => {
    expect(loadConfig({ WEB_PORT: '', WEB_USERNAME: '', ALLOWED_FIELDS: '' })).toMatchObject({
      webPort: 8080,
      webUsername: undefined,
      allowedFields: DEFAULT_ALLOWED_FIELDS,
    });
  });
});

describe('loadConfig from the environment, by kind', () => {
  it('keeps strings verbatim', () => {
    const config = loadConfig({ REQUEST_TIMEOUT_BODY: '  timed out  ', WEB_AUTH_DOMAIN: 'My realm' });
    expect(config.requestTimeoutBody).toBe('  timed out  ');
    expect(config.webAuthDomain).toBe('My realm');
  });

  it.each([
    ['WEB_PORT', ' 9090 ', 'webPort', 9090],
    ['WEB_PORT', '0', 'webPort', 0],
    ['AMQP_PREFETCH_COUNT', '+5', 'amqpPrefetchCount', 5],
    ['REQUEST_CLEANUP_INTERVAL', '-1', 'requestCleanupInterval', -1],
  ] as const)('parses the integer %s=%p', (variable, text, property, value) => {
    expect(loadConfig({ [variable]: text })[property]).toBe(value);
  });

  it.each(['abc', '4.5', '1e3', '0x10', '12abc'])('refuses the integer WEB_PORT=%p with one line', (text) => {
    expect(problemsOf({ WEB_PORT: text })).toEqual([`WEB_PORT (web_port): must be an integer number (got "${text}")`]);
  });

  it('refuses an integer out of range', () => {
    expect(problemsOf({ WEB_PORT: '65536' })).toEqual(['WEB_PORT (web_port): must not be greater than 65535 (got 65536)']);
    expect(problemsOf({ AMQP_PREFETCH_COUNT: '0' })).toEqual([
      'AMQP_PREFETCH_COUNT (amqp_prefetch_count): must not be less than 1 (got 0)',
    ]);
  });

  it.each([
    ['0.25', 0.25],
    [' 2 ', 2],
    ['1e1', 10],
  ])('parses the float PUBLISH_TIMEOUT=%p', (text, value) => {
    expect(loadConfig({ PUBLISH_TIMEOUT: text }).publishTimeout).toBe(value);
  });

  it.each(['x', 'NaN', 'Infinity', '1,5'])('refuses the float PUBLISH_TIMEOUT=%p', (text) => {
    expect(problemsOf({ PUBLISH_TIMEOUT: text })).toEqual([`PUBLISH_TIMEOUT: must be a number (got "${text}")`]);
  });

  const BOOLEANS = SETTING_SOURCES.filter((source) => source.kind === 'bool');

  it.each([
    ['true', true],
    ['false', false],
    ['1', true],
    ['0', false],
    ['yes', true],
    ['no', false],
    ['TRUE', true],
    [' No ', false],
    ['Yes', true],
  ])('reads %p as %p for every boolean setting', (text, value) => {
    expect(BOOLEANS.length).toBeGreaterThanOrEqual(4);
    for (const source of BOOLEANS) {
      expect(loadConfig({ [source.env]: text })[source.property]).toBe(value);
    }
  });

  it.each(['maybe', '2', 'y'])('refuses the boolean NOISY=%p', (text) => {
    expect(problemsOf({ NOISY: text })).toEqual([`NOISY (noisy): must be a boolean value (got "${text}")`]);
  });

  it('reads a list as comma-separated text or as a JSON array', () => {
    expect(loadConfig({ ALLOWED_FIELDS: ' content , to_addr,from_addr,provider ' }).allowedFields).toEqual([
      'content',
      'to_addr',
      'from_addr',
      'provider',
    ]);
    expect(loadConfig({ ALLOWED_FIELDS: '["content","to_addr","from_addr"]' }).allowedFields).toEqual(['content', 'to_addr', 'from_addr']);
  });

  it('refuses a list with an empty or non-string item', () => {
    expect(problemsOf({ ALLOWED_FIELDS: 'content,,to_addr,from_addr' })).toEqual([
      'ALLOWED_FIELDS (allowed_fields): each value must be longer than or equal to 1 characters (got ["content","","to_addr","from_addr"])',
    ]);
    expect(problemsOf({ ALLOWED_FIELDS: '["content","to_addr","from_addr",7]' })).toEqual([
      'ALLOWED_FIELDS (allowed_fields): each value must be a string (got ["content","to_addr","from_addr",7])',
    ]);
  });

  it('reads an object as JSON', () => {
    expect(loadConfig({ FIELD_DEFAULTS: '{"to_addr":"555","group":"#g"}' }).fieldDefaults).toEqual({
      to_addr: '555',
      group: '#g',
    });
  });

  it.each([
    ['{bad', 'FIELD_DEFAULTS (field_defaults): must be an object (got "{bad")'],
    ['"text"', 'FIELD_DEFAULTS (field_defaults): must be an object (got "text")'],
    ['{"to_addr":555}', 'FIELD_DEFAULTS (field_defaults): value of "to_addr" must be a string'],
  ])('refuses FIELD_DEFAULTS=%s', (text, line) => {
    expect(problemsOf({ FIELD_DEFAULTS: text })).toEqual([line]);
  });

  it('refuses an upper-case transport name, an unknown mode, level or URL scheme', () => {
    expect(problemsOf({ TRANSPORT_NAME: 'Http_Api' })).toEqual([
      'TRANSPORT_NAME (transport_name): must be lower case letters, digits, "_", "-" or "." (got "Http_Api")',
    ]);
    expect(problemsOf({ VALIDATION_MODE: 'lax' })).toEqual([
      'VALIDATION_MODE (validation_mode): must be one of the following values: strict, permissive (got "lax")',
    ]);
    expect(problemsOf({ LOG_LEVEL: 'verbose' })).toHaveLength(1);
    expect(problemsOf({ AMQP_URL: 'http://localhost' })).toEqual([
      'AMQP_URL (amqp_url): must be an amqp:// or amqps:// URL (got ["http://localhost"])',
    ]);
  });
});

describe('one line per problem', () => {
  it('lists every problem, one line each, naming the variable and the Vumi key', () => {
    const problems = problemsOf({ TRANSPORT_NAME: 'Bad', WEB_PORT: 'abc', NOISY: 'maybe', WEB_USERNAME: 'u' });
    expect(problems).toEqual([
      'TRANSPORT_NAME (transport_name): must be lower case letters, digits, "_", "-" or "." (got "Bad")',
      'WEB_PORT (web_port): must be an integer number (got "abc")',
      'NOISY (noisy): must be a boolean value (got "maybe")',
      'WEB_PASSWORD (web_password): must be set if and only if WEB_USERNAME (web_username) is set',
    ]);
  });

  it('prints them under a header, one per line', () => {
    expect(() => loadConfig({ TRANSPORT_NAME: 'Bad', WEB_PORT: 'abc' })).toThrow(
      'Invalid configuration:\n' +
        '  - TRANSPORT_NAME (transport_name): must be lower case letters, digits, "_", "-" or "." (got "Bad")\n' +
        '  - WEB_PORT (web_port): must be an integer number (got "abc")',
    );
  });

  it('shortens a long bad value', () => {
    const [line] = problemsOf({ TRANSPORT_NAME: 'X'.repeat(500) });
    expect(line.length).toBeLessThan(200);
    expect(line).toContain('...');
  });
});

describe('cross-field rules', () => {
  it('wants WEB_PASSWORD if and only if WEB_USERNAME is set', () => {
    const line = 'WEB_PASSWORD (web_password): must be set if and only if WEB_USERNAME (web_username) is set';
    expect(problemsOf({ WEB_USERNAME: 'u' })).toEqual([line]);
    expect(problemsOf({ WEB_PASSWORD: 'p' })).toEqual([line]);
    expect(loadConfig({ WEB_USERNAME: 'u', WEB_PASSWORD: 'p' })).toMatchObject({ webUsername: 'u', webPassword: 'p' });
  });

  it('wants content, to_addr and from_addr each allowed or defaulted', () => {
    expect(problemsOf({ ALLOWED_FIELDS: 'group' })).toEqual([
      'ALLOWED_FIELDS (allowed_fields): "content" must be allowed or have a field default',
      'ALLOWED_FIELDS (allowed_fields): "to_addr" must be allowed or have a field default',
      'ALLOWED_FIELDS (allowed_fields): "from_addr" must be allowed or have a field default',
    ]);
    const config = loadConfig({ ALLOWED_FIELDS: 'content,from_addr', FIELD_DEFAULTS: '{"to_addr":"555"}' });
    expect(config.allowedFields).toEqual(['content', 'from_addr']);
  });

  it('wants RESPONSE_TIME_DEGRADED not above RESPONSE_TIME_DOWN', () => {
    expect(problemsOf({ RESPONSE_TIME_DEGRADED: '5', RESPONSE_TIME_DOWN: '2' })).toEqual([
      'RESPONSE_TIME_DEGRADED (response_time_degraded): must not exceed RESPONSE_TIME_DOWN',
    ]);
    expect(loadConfig({ RESPONSE_TIME_DEGRADED: '2', RESPONSE_TIME_DOWN: '2' }).responseTimeDown).toBe(2);
  });
});

describe('loadConfig from a Vumi YAML file (CONFIG_FILE)', () => {
  const VUMI_CONFIG = `
# An HttpApiTransport worker config as Vumi runs it, with keys this service does not know.
transport_name: sms_api
worker_name: sms_api_worker
amqp_prefetch_count: 50
publish_status: true
web_path: /api/v1/sms
web_port: 8123
web_username: vumi
web_password: secret
web_auth_domain: Vumi SMS
health_path: /healthz
request_cleanup_interval: 2
request_timeout: 30
request_timeout_status_code: 503
request_timeout_body: No reply in time
noisy: yes
validation_mode: permissive
response_time_down: 5.5
response_time_degraded: 0.5
reply_expected: true
allowed_fields:
  - content
  - from_addr
  - session_event
field_defaults:
  to_addr: "1234"
  group: "sms"
middleware:
  - logging_mw: vumi.middleware.logging.LoggingMiddleware
logging_mw:
  log_level: debug
`;

  it('takes every Vumi key of a full worker config and ignores keys it does not know', () => {
    const config = loadConfig({ CONFIG_FILE: yamlFile(VUMI_CONFIG) });
    expect(config).toMatchObject({
      transportName: 'sms_api',
      amqpPrefetchCount: 50,
      publishStatus: true,
      webPath: '/api/v1/sms',
      webPort: 8123,
      webUsername: 'vumi',
      webPassword: 'secret',
      webAuthDomain: 'Vumi SMS',
      healthPath: '/healthz',
      requestCleanupInterval: 2,
      requestTimeout: 30,
      requestTimeoutStatusCode: 503,
      requestTimeoutBody: 'No reply in time',
      noisy: true,
      validationMode: 'permissive',
      responseTimeDown: 5.5,
      responseTimeDegraded: 0.5,
      replyExpected: true,
      allowedFields: ['content', 'from_addr', 'session_event'],
      fieldDefaults: { to_addr: '1234', group: 'sms' },
    });
  });

  it('lets an environment variable win over the file', () => {
    const config = loadConfig({
      CONFIG_FILE: yamlFile(VUMI_CONFIG),
      TRANSPORT_NAME: 'from_env',
      WEB_PORT: '9000',
      NOISY: 'no',
      ALLOWED_FIELDS: 'content,to_addr,from_addr',
    });
    expect(config).toMatchObject({
      transportName: 'from_env',
      webPort: 9000,
      noisy: false,
      allowedFields: ['content', 'to_addr', 'from_addr'],
      amqpPrefetchCount: 50, // still from the file
    });
  });

  it('coerces quoted numbers and booleans, and takes a null as unset', () => {
    const path = yamlFile('web_port: "8124"\nreply_expected: "1"\nnoisy: "false"\nresponse_time_down: "3"\nweb_path: null\n');
    expect(loadConfig({ CONFIG_FILE: path })).toMatchObject({
      webPort: 8124,
      replyExpected: true,
      noisy: false,
      responseTimeDown: 3,
      webPath: '/http_api',
    });
  });

  it("reads only Vumi keys (and amqp_url) from the file: the service's other settings come from the environment", () => {
    const path = yamlFile('amqp_url: amqp://elsewhere/\npublish_timeout: 1\namqp_queue_type: quorum\n');
    expect(loadConfig({ CONFIG_FILE: path })).toMatchObject({
      amqpUrls: ['amqp://elsewhere/'],
      publishTimeout: 5,
      amqpQueueType: 'classic',
    });
  });

  it('takes the broker nodes as a YAML list under amqp_url, the environment winning', () => {
    const path = yamlFile('amqp_url:\n  - amqp://u:p@rabbit-0:5672/\n  - amqp://u:p@rabbit-1:5672/\n');
    expect(loadConfig({ CONFIG_FILE: path }).amqpUrls).toEqual(['amqp://u:p@rabbit-0:5672/', 'amqp://u:p@rabbit-1:5672/']);
    expect(loadConfig({ CONFIG_FILE: path, AMQP_URL: 'amqp://only/' }).amqpUrls).toEqual(['amqp://only/']);
    const bad = yamlFile('amqp_url:\n  - amqp://u:p@rabbit-0/\n  - 5672\n');
    expect(problemsOf({ CONFIG_FILE: bad })).toEqual([
      'AMQP_URL (amqp_url): must be an amqp:// or amqps:// URL (got ["amqp://u:***@rabbit-0/",5672])',
    ]);
  });

  it('names the variable and the Vumi key of each bad value in the file', () => {
    const path = yamlFile('transport_name: Upper\nweb_port: 8080.5\nnoisy: sometimes\nfield_defaults: {to_addr: 555}\n');
    expect(problemsOf({ CONFIG_FILE: path })).toEqual([
      'TRANSPORT_NAME (transport_name): must be lower case letters, digits, "_", "-" or "." (got "Upper")',
      'WEB_PORT (web_port): must be an integer number (got 8080.5)',
      'NOISY (noisy): must be a boolean value (got "sometimes")',
      'FIELD_DEFAULTS (field_defaults): value of "to_addr" must be a string',
    ]);
  });

  it('refuses a number where Vumi wants text, as Vumi does', () => {
    expect(problemsOf({ CONFIG_FILE: yamlFile('web_username: 1234\nweb_password: abc\n') })).toEqual([
      'WEB_USERNAME (web_username): must be a string (got 1234)',
    ]);
  });

  it('reports a missing file, bad YAML or a file that is not a mapping in one line', () => {
    const missing = join(dir, 'missing.yaml');
    const [notFound] = problemsOf({ CONFIG_FILE: missing });
    expect(notFound).toMatch(new RegExp(`^CONFIG_FILE ${missing}: ENOENT`));

    const broken = problemsOf({ CONFIG_FILE: yamlFile('transport_name: [unclosed\n') });
    expect(broken).toHaveLength(1);
    expect(broken[0]).toMatch(/^CONFIG_FILE .*config-\d+\.yaml: /);
    expect(broken[0]).not.toContain('\n');

    const list = yamlFile('- transport_name\n- web_port\n');
    expect(problemsOf({ CONFIG_FILE: list })).toEqual([`CONFIG_FILE ${list}: must hold a mapping of Vumi config keys`]);
  });

  it('takes an empty file as no settings', () => {
    expect(loadConfig({ CONFIG_FILE: yamlFile('# nothing\n') }).transportName).toBe('http_api');
  });

  it('reports problems of the file and of the environment together', () => {
    const problems = problemsOf({ CONFIG_FILE: yamlFile('web_port: abc\n'), NOISY: 'perhaps' });
    expect(problems).toEqual([
      'WEB_PORT (web_port): must be an integer number (got "abc")',
      'NOISY (noisy): must be a boolean value (got "perhaps")',
    ]);
  });
});

describe('broker nodes and queue type', () => {
  it('takes AMQP_URL as a comma-separated list or a JSON array, in order', () => {
    const nodes = ['amqp://u:p@127.0.0.1:5673/', 'amqp://u:p@127.0.0.1:5674/', 'amqps://u:p@rabbit/'];
    expect(loadConfig({ AMQP_URL: nodes.join(' , ') }).amqpUrls).toEqual(nodes);
    expect(loadConfig({ AMQP_URL: JSON.stringify(nodes) }).amqpUrls).toEqual(nodes);
  });

  it('refuses an empty list and names a bad node of a list', () => {
    expect(problemsOf({ AMQP_URL: '[]' })).toEqual(['AMQP_URL (amqp_url): must name at least one amqp:// or amqps:// URL (got [])']);
    expect(problemsOf({ AMQP_URL: 'amqp://a/,rabbit-1:5672' })).toHaveLength(1);
  });

  it('never prints a password of a bad AMQP_URL or REDIS_URL, even with a raw "@" or no user name', () => {
    const problems = problemsOf({
      AMQP_URL: 'amqp://guest:guest@ok/,http://admin:p@ss@rabbit:5672/',
      REDIS_URL: 'http://:hunter2@cache:6379',
    });
    expect(problems).toHaveLength(2);
    const text = problems.join('\n');
    for (const secret of ['guest@', 'p@ss', 'ss@rabbit', 'hunter2']) expect(text).not.toContain(secret);
    expect(text).toContain('http://admin:***@rabbit:5672/');
    expect(text).toContain('http://:***@cache:6379');
  });

  it('takes AMQP_QUEUE_TYPE classic or quorum only', () => {
    expect(loadConfig({ AMQP_QUEUE_TYPE: 'quorum' }).amqpQueueType).toBe('quorum');
    expect(problemsOf({ AMQP_QUEUE_TYPE: 'stream' })).toEqual([
      'AMQP_QUEUE_TYPE: must be one of the following values: classic, quorum (got "stream")',
    ]);
  });
});

describe('CONFIG_FILE with merge keys', () => {
  it('reads settings shared through an anchor (`<<: *base`), as js-yaml 4 and PyYAML did', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vumi-yaml-'));
    const file = join(dir, 'config.yaml');
    writeFileSync(file, 'defaults: &defaults\n  transport_name: merged_tn\n<<: *defaults\nweb_path: /merged\n');
    const config = loadConfig({ CONFIG_FILE: file });
    expect([config.transportName, config.webPath]).toEqual(['merged_tn', '/merged']);
  });
});
