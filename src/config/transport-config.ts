import {
  ArrayNotEmpty,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import { CallerEntry } from './caller-entries';
import { Setting } from './setting';
import { DiffersFromWebPort, IsAddressOrCidrList, IsOtelKeyValues } from './setting-validators';

export type ValidationMode = 'strict' | 'permissive';
export type AmqpQueueType = 'classic' | 'quorum';
/** How a held request's answer is written (docs/api.md, "Replies as JSON"): Vumi's text/plain content, or JSON with the session's state. */
export type ReplyFormat = 'text' | 'json';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
/** OpenTelemetry's sampler names (OTEL_TRACES_SAMPLER), as its environment specification lists them. */
export const OTEL_SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;
export type OtelSampler = (typeof OTEL_SAMPLERS)[number];

/** Fields Vumi's HttpApiTransport accepts by default (DEFAULT_ALLOWED_FIELDS). */
export const DEFAULT_ALLOWED_FIELDS = ['content', 'to_addr', 'from_addr', 'group', 'session_event'];

/**
 * The whole configuration, built once at boot from the environment and an
 * optional Vumi YAML file (config-loader.ts), validated, then injected as
 * TRANSPORT_CONFIG. Property defaults are the documented defaults.
 *
 * One declaration per setting: its @Setting (environment variable, Vumi key,
 * how it parses, its section) beside its checks and default; SETTING_SOURCES
 * is derived from them, and src/config/settings-documented.spec.ts checks
 * every one against `.env.example` and README's settings tables. Grouped in
 * the sections of SETTING_SECTIONS, in that order, as `.env.example` is.
 */
export class TransportConfig {
  // ---- the broker (and Redis, shared by the instances) ----
  /** Names the queues and routing keys; Vumi refuses upper-case routing keys. */
  @Setting({ env: 'TRANSPORT_NAME', vumiKey: 'transport_name', kind: 'string', section: 'broker' })
  @Matches(/^[a-z0-9_.-]+$/, { message: 'must be lower case letters, digits, "_", "-" or "."' })
  @MaxLength(100) // routing keys are at most 255 bytes: `<transport_name>.outbound.<instance_id>` must fit
  transportName = 'http_api';

  /**
   * The broker's nodes, in order of preference: the first that answers is used,
   * the next ones on its loss (a cluster). Comma-separated, a JSON array, or a
   * YAML list under `amqp_url`.
   */
  @Setting({ env: 'AMQP_URL', vumiKey: 'amqp_url', kind: 'list', section: 'broker' })
  @IsArray()
  @ArrayNotEmpty({ message: 'must name at least one amqp:// or amqps:// URL' })
  @Matches(/^amqps?:\/\/.+/, { each: true, message: 'must be an amqp:// or amqps:// URL' })
  amqpUrls: string[] = ['amqp://guest:guest@localhost:5672/'];

  /**
   * `quorum`: every durable queue the service declares carries `x-queue-type: quorum`
   * (RabbitMQ 3.10, where every declarer must pass it). `classic`: no arguments.
   */
  @Setting({ env: 'AMQP_QUEUE_TYPE', kind: 'string', section: 'broker' })
  @IsIn(['classic', 'quorum'])
  amqpQueueType: AmqpQueueType = 'classic';

  /** Outbound messages in flight per instance (basic.qos). */
  @Setting({ env: 'AMQP_PREFETCH_COUNT', vumiKey: 'amqp_prefetch_count', kind: 'int', section: 'broker' })
  @IsInt()
  @Min(1)
  @Max(65535)
  amqpPrefetchCount = 20;

  /** Seconds between reconnect attempts while the broker is away. */
  @Setting({ env: 'AMQP_RECONNECT_INTERVAL', kind: 'float', section: 'broker' })
  @IsNumber()
  @Min(0.1)
  @Max(300)
  amqpReconnectInterval = 2;

  /**
   * AMQP heartbeat in seconds: how soon a broker that stops answering (frozen, partitioned) is
   * noticed: after two to three heartbeats without a frame. 5 s, the lowest RabbitMQ advises,
   * notices within 15 s; 0 turns heartbeats off (a frozen broker is then never noticed).
   */
  @Setting({ env: 'AMQP_HEARTBEAT', kind: 'int', section: 'broker' })
  @IsInt()
  @Min(0)
  @Max(600)
  amqpHeartbeat = 5;

  /** Filled by the loader: host name + random suffix unless INSTANCE_ID is set. */
  @Setting({ env: 'INSTANCE_ID', kind: 'string', section: 'broker' })
  @Matches(/^[a-zA-Z0-9_.-]+$/, { message: 'must be letters, digits, "_", "-" or "."' })
  @MaxLength(120) // names this instance's own queue: see transportName
  instanceId: string;

  /** Publish status messages on `<transport_name>.status.status`. */
  @Setting({ env: 'PUBLISH_STATUS', vumiKey: 'publish_status', kind: 'bool', section: 'broker' })
  @IsBoolean()
  publishStatus = false;

  /**
   * Every inbound message names the HTTP request it came from in its `x-request-id` AMQP header.
   * `false` leaves the header out (the answer's `message_id` and the debug log lines still tie the two):
   * RabbitMQ 3.10 spends 10-20 us more per message that carries any property beyond the usual three,
   * which is about 15 % of a classic queue's message rate (docs/performance.md).
   */
  @Setting({ env: 'AMQP_REQUEST_ID_HEADER', kind: 'bool', section: 'broker' })
  @IsBoolean()
  amqpRequestIdHeader = true;

  /** Seconds to wait for the broker's confirm before answering 503; also the shutdown's budget for the broker once held requests are done. */
  @Setting({ env: 'PUBLISH_TIMEOUT', kind: 'float', section: 'broker' })
  @IsNumber()
  @Min(0.1)
  @Max(600)
  publishTimeout = 5;

  /** Redis shared by every instance for idempotency keys and rate limits; unset = memory, per instance. */
  @Setting({ env: 'REDIS_URL', kind: 'string', section: 'broker' })
  @IsOptional()
  @Matches(/^rediss?:\/\/.+/, { message: 'must be a redis:// or rediss:// URL' })
  redisUrl?: string;

  /** Prefix of every Redis key, before `<transport_name>:`. */
  @Setting({ env: 'REDIS_KEY_PREFIX', kind: 'string', section: 'broker' })
  @IsString()
  redisKeyPrefix = 'vumi_http_api:';

  /**
   * Sentinels (`host:port`, comma-separated) that name the Redis master: set instead of (or beside)
   * REDIS_URL, whose host is then ignored (its password, user, database and rediss:// still apply).
   */
  @Setting({ env: 'REDIS_SENTINELS', kind: 'list', section: 'broker' })
  @IsArray()
  @Matches(/^[^\s:]+:\d{1,5}$/, { each: true, message: 'must be host:port' })
  redisSentinels: string[] = [];

  /** The master's name in the sentinels' configuration (`sentinel monitor <name> ...`). */
  @Setting({ env: 'REDIS_MASTER_NAME', kind: 'string', section: 'broker' })
  @IsString()
  @MinLength(1)
  redisMasterName = 'mymaster';

  /** Password of the Redis data nodes (AUTH); overrides the one in REDIS_URL. */
  @Setting({ env: 'REDIS_PASSWORD', kind: 'string', section: 'broker' })
  @IsOptional()
  @IsString()
  redisPassword?: string;

  /** Password of the sentinels themselves (`requirepass` in sentinel.conf), when they have one. */
  @Setting({ env: 'REDIS_SENTINEL_PASSWORD', kind: 'string', section: 'broker' })
  @IsOptional()
  @IsString()
  redisSentinelPassword?: string;

  /**
   * Seconds a Redis command may take; past it the command fails and the breaker stops asking Redis
   * (rate limits in memory, 503 for Idempotency-Key) until a probe answers. Redis answers in well
   * under a millisecond: this only has to outlast a busy moment.
   */
  @Setting({ env: 'REDIS_COMMAND_TIMEOUT', kind: 'float', section: 'broker' })
  @IsNumber()
  @Min(0.01)
  @Max(60)
  redisCommandTimeout = 0.5;

  /** Seconds between probes (PING) while Redis is down; the first answer brings it back. */
  @Setting({ env: 'REDIS_PROBE_INTERVAL', kind: 'float', section: 'broker' })
  @IsNumber()
  @Min(0.05)
  @Max(300)
  redisProbeInterval = 1;

  /**
   * Replicas each idempotency write waits for (WAIT) before the request goes on, for at most half
   * REDIS_COMMAND_TIMEOUT: 1 keeps a failover from losing a key a caller may retry
   * (docs/deploy.md, "Redis behind Sentinel"). 0 = no wait (one Redis, no replica).
   */
  @Setting({ env: 'REDIS_WAIT_REPLICAS', kind: 'int', section: 'broker' })
  @IsInt()
  @Min(0)
  @Max(10)
  redisWaitReplicas = 0;

  // ---- HTTP: listener, paths, fields ----
  @Setting({ env: 'HOST', kind: 'string', section: 'http' })
  @IsString()
  @MinLength(1)
  host = '0.0.0.0';

  /** 0 = any free port, printed at start. */
  @Setting({ env: 'WEB_PORT', vumiKey: 'web_port', kind: 'int', section: 'http' })
  @IsInt()
  @Min(0)
  @Max(65535)
  webPort = 8080;

  /** Path of the API; a leading `/` is optional, as in Vumi. */
  @Setting({ env: 'WEB_PATH', vumiKey: 'web_path', kind: 'string', section: 'http' })
  @IsString()
  @MinLength(1)
  webPath = '/http_api';

  /** Health endpoint, never behind auth. */
  @Setting({ env: 'HEALTH_PATH', vumiKey: 'health_path', kind: 'string', section: 'http' })
  @IsString()
  @MinLength(1)
  healthPath = 'health';

  /** Kubernetes liveness probe path (process only). */
  @Setting({ env: 'LIVENESS_PATH', kind: 'string', section: 'http' })
  @IsString()
  @MinLength(1)
  livenessPath = '/health/live';

  /** Kubernetes readiness probe path (broker up, not draining). */
  @Setting({ env: 'READINESS_PATH', kind: 'string', section: 'http' })
  @IsString()
  @MinLength(1)
  readinessPath = '/health/ready';

  @Setting({ env: 'VALIDATION_MODE', vumiKey: 'validation_mode', kind: 'string', section: 'http' })
  @IsIn(['strict', 'permissive'])
  validationMode: ValidationMode = 'strict';

  @Setting({ env: 'ALLOWED_FIELDS', vumiKey: 'allowed_fields', kind: 'list', section: 'http' })
  @IsString({ each: true })
  @MinLength(1, { each: true })
  allowedFields: string[] = [...DEFAULT_ALLOWED_FIELDS];

  /** Values for fields the caller did not send (strings only). */
  @Setting({ env: 'FIELD_DEFAULTS', vumiKey: 'field_defaults', kind: 'object', section: 'http' })
  @IsObject()
  fieldDefaults: Record<string, string> = {};

  /** Seconds a client has to send the request headers. */
  @Setting({ env: 'HTTP_HEADERS_TIMEOUT', kind: 'float', section: 'http' })
  @IsNumber()
  @Min(1)
  httpHeadersTimeout = 10;

  /** Seconds a client has to send the whole request (headers and body). */
  @Setting({ env: 'HTTP_REQUEST_TIMEOUT', kind: 'float', section: 'http' })
  @IsNumber()
  @Min(1)
  httpRequestTimeout = 30;

  /** Seconds an idle keep-alive connection stays open. */
  @Setting({ env: 'HTTP_KEEP_ALIVE_TIMEOUT', kind: 'float', section: 'http' })
  @IsNumber()
  @Min(0)
  httpKeepAliveTimeout = 5;

  /** Seconds in the Retry-After header of a 503. */
  @Setting({ env: 'RETRY_AFTER', kind: 'int', section: 'http' })
  @IsInt()
  @Min(0)
  retryAfter = 5;

  /** Seconds a SIGTERM waits for held requests before answering them with the time-out status. */
  @Setting({ env: 'SHUTDOWN_TIMEOUT', kind: 'float', section: 'http' })
  @IsNumber()
  @Min(0)
  @Max(3600)
  shutdownTimeout = 30;

  // ---- replies (reply mode) and the response health ----
  /** Hold each request until the application's reply arrives. */
  @Setting({ env: 'REPLY_EXPECTED', vumiKey: 'reply_expected', kind: 'bool', section: 'replies' })
  @IsBoolean()
  replyExpected = false;

  /** Seconds a held request waits for its reply. */
  @Setting({ env: 'REQUEST_TIMEOUT', vumiKey: 'request_timeout', kind: 'int', section: 'replies' })
  @IsInt()
  @Min(1)
  requestTimeout = 240;

  /** Seconds between time-out sweeps; < 1 disables time-outs (Vumi). */
  @Setting({ env: 'REQUEST_CLEANUP_INTERVAL', vumiKey: 'request_cleanup_interval', kind: 'int', section: 'replies' })
  @IsInt()
  requestCleanupInterval = 5;

  @Setting({ env: 'REQUEST_TIMEOUT_STATUS_CODE', vumiKey: 'request_timeout_status_code', kind: 'int', section: 'replies' })
  @IsInt()
  @Min(100)
  @Max(599)
  requestTimeoutStatusCode = 504;

  @Setting({ env: 'REQUEST_TIMEOUT_BODY', vumiKey: 'request_timeout_body', kind: 'string', section: 'replies' })
  @IsString()
  requestTimeoutBody = '';

  /**
   * The answer of a held request whose caller states no preference between text/plain and
   * application/json in `Accept` (or sends none): `text` is Vumi's, `json` is for callers that
   * cannot send `Accept`. An explicit preference always wins.
   */
  @Setting({ env: 'REPLY_FORMAT', kind: 'string', section: 'replies' })
  @IsIn(['text', 'json'])
  replyFormat: ReplyFormat = 'text';

  /** Seconds; slower 2xx responses mark the `response` component down. */
  @Setting({ env: 'RESPONSE_TIME_DOWN', vumiKey: 'response_time_down', kind: 'float', section: 'replies' })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  responseTimeDown = 10.0;

  /** Seconds; slower 2xx responses mark the `response` component degraded. */
  @Setting({ env: 'RESPONSE_TIME_DEGRADED', vumiKey: 'response_time_degraded', kind: 'float', section: 'replies' })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  responseTimeDegraded = 1.0;

  /**
   * Seconds of answers the health path's response state is judged over: it is back to
   * `ok` by itself once the window holds no slow answer and no time-out, with no traffic
   * needed (an instance out of rotation gets none).
   */
  @Setting({ env: 'RESPONSE_STATUS_WINDOW', kind: 'float', section: 'replies' })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0.1)
  @Max(86400)
  responseStatusWindow = 60;

  /**
   * Answer the health path `503` while responses are `down`. Off by default: Vumi's
   * health path is always `200`, and a slow application shared by every instance would
   * take them all out of a load balancer's rotation at once.
   */
  @Setting({ env: 'HEALTH_FAIL_ON_RESPONSE_DOWN', kind: 'bool', section: 'replies' })
  @IsBoolean()
  healthFailOnResponseDown = false;

  // ---- authentication and callers (docs/retries-and-limits.md, "Authentication") ----
  /** HTTP Basic user; unset = no auth. */
  @Setting({ env: 'WEB_USERNAME', vumiKey: 'web_username', kind: 'string', section: 'auth' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  webUsername?: string;

  /** Set if and only if webUsername is set. */
  @Setting({ env: 'WEB_PASSWORD', vumiKey: 'web_password', kind: 'string', section: 'auth' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  webPassword?: string;

  /** The Basic realm. */
  @Setting({ env: 'WEB_AUTH_DOMAIN', vumiKey: 'web_auth_domain', kind: 'string', section: 'auth' })
  @IsString()
  webAuthDomain = 'Vumi HTTP RPC transport';

  /** YAML or JSON file listing callers: user name, password hash, rate limit, field defaults. */
  @Setting({ env: 'CALLERS_FILE', kind: 'string', section: 'auth' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  callersFile?: string;

  /** The same list as JSON in a variable (checked in detail by src/config/caller-entries.ts). */
  @Setting({ env: 'CALLERS', kind: 'object', section: 'auth' })
  @IsOptional()
  @IsArray()
  callers?: unknown[];

  /**
   * CALLERS_FILE then CALLERS, parsed and checked once at boot by the loader
   * (caller-entries.ts): what the app uses. Not a setting of its own.
   */
  callerEntries: readonly CallerEntry[] = [];

  /** Peers (addresses or CIDRs) whose X-Forwarded-For is believed for every per-address limit; empty = none. */
  @Setting({ env: 'TRUST_PROXY', kind: 'list', section: 'auth' })
  @IsAddressOrCidrList()
  trustProxy: string[] = [];

  /** Failed authentications per second refilling each client address's bucket; 0 = no per-address limit. */
  @Setting({ env: 'AUTH_FAILURE_RATE', kind: 'float', section: 'auth' })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  authFailureRate = 1;

  /** Failed authentications a client address may make at once before AUTH_FAILURE_RATE applies. */
  @Setting({ env: 'AUTH_FAILURE_BURST', kind: 'int', section: 'auth' })
  @IsInt()
  @Min(1)
  authFailureBurst = 10;

  /** Failed authentications per second refilling each user name's bucket (all addresses together); 0 = off. */
  @Setting({ env: 'AUTH_NAME_FAILURE_RATE', kind: 'float', section: 'auth' })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  authNameFailureRate = 1;

  /** Failed authentications a user name may take at once before AUTH_NAME_FAILURE_RATE applies. */
  @Setting({ env: 'AUTH_NAME_FAILURE_BURST', kind: 'int', section: 'auth' })
  @IsInt()
  @Min(1)
  authNameFailureBurst = 20;

  /**
   * Password checks (bcrypt or scrypt, off the main thread) running at once at most; beyond it 429 at
   * once. 1: a hash keeps a core busy, and under a 1-CPU limit (the shipped pods) every thread of the
   * process shares that CPU's quota with the event loop; measured in `npm run bench -- --only=hostile`.
   */
  @Setting({ env: 'AUTH_MAX_VERIFICATIONS', kind: 'int', section: 'auth' })
  @IsInt()
  @Min(1)
  @Max(64)
  authMaxVerifications = 1;

  // ---- limits and retries (docs/retries-and-limits.md) ----
  /** Publishes awaiting a confirm, at most; past it callers get 503. */
  @Setting({ env: 'MAX_PENDING_PUBLISHES', kind: 'int', section: 'limits' })
  @IsInt()
  @Min(1)
  maxPendingPublishes = 10000;

  /** Held requests at most (reply mode); past it new requests get 503. */
  @Setting({ env: 'MAX_PENDING_REQUESTS', kind: 'int', section: 'limits' })
  @IsInt()
  @Min(1)
  maxPendingRequests = 50000;

  /**
   * Held requests at most per client (caller with auth, client address without), so that one client
   * cannot take every slot; past it that client gets 503. Unset = a quarter of MAX_PENDING_REQUESTS
   * (rounded up): see maxPendingPerClientOf in src/reply-path/pending-requests/client-shares.ts.
   */
  @Setting({ env: 'MAX_PENDING_PER_CLIENT', kind: 'int', section: 'limits' })
  @IsOptional()
  @IsInt()
  @Min(1)
  maxPendingPerClient?: number;

  /** Largest request body accepted, in bytes (413 beyond). */
  @Setting({ env: 'BODY_LIMIT', kind: 'int', section: 'limits' })
  @IsInt()
  @Min(1)
  @Max(64 * 1024 * 1024)
  bodyLimit = 65536;

  /**
   * Bytes of request bodies being read at once, in all (each body counts its Content-Length, or
   * BODY_LIMIT when chunked, from the moment it is read, after the credentials, until it is read);
   * past it a request gets 503 + Retry-After before a byte of its body is read.
   */
  @Setting({ env: 'BODY_BUDGET', kind: 'int', section: 'limits' })
  @IsInt()
  @Min(1)
  bodyBudget = 32 * 1024 * 1024;

  /** As BODY_BUDGET, per client address (ClientIdentity), so that one address cannot take it all. */
  @Setting({ env: 'BODY_BUDGET_PER_ADDRESS', kind: 'int', section: 'limits' })
  @IsInt()
  @Min(1)
  bodyBudgetPerAddress = 4 * 1024 * 1024;

  /** Open connections on the API port at most; past it new ones are closed at once (Node's server.maxConnections). */
  @Setting({ env: 'MAX_CONNECTIONS', kind: 'int', section: 'limits' })
  @IsInt()
  @Min(1)
  maxConnections = 10000;

  /**
   * Open connections on the API port per peer address at most (TRUST_PROXY's proxies excepted);
   * past it that address's new connections are closed at once.
   */
  @Setting({ env: 'MAX_CONNECTIONS_PER_ADDRESS', kind: 'int', section: 'limits' })
  @IsInt()
  @Min(1)
  maxConnectionsPerAddress = 1000;

  /**
   * Most fields in one request, inclusive (400 beyond). Vumi has no limit; 1000 is the
   * common default of Node's and qs's parsers, so callers Vumi served are served here.
   */
  @Setting({ env: 'MAX_PARAMETERS', kind: 'int', section: 'limits' })
  @IsInt()
  @Min(1)
  maxParameters = 1000;

  /** Largest outbound message accepted from the broker, in bytes. */
  @Setting({ env: 'MAX_OUTBOUND_MESSAGE_BYTES', kind: 'int', section: 'limits' })
  @IsInt()
  @Min(1024)
  maxOutboundMessageBytes = 1024 * 1024;

  /** Requests per second refilling each caller's (or client address's) bucket; 0 = no limit. */
  @Setting({ env: 'RATE_LIMIT_RATE', kind: 'float', section: 'limits' })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  rateLimitRate = 0;

  /** Bucket size: requests a caller may send at once before the rate applies. */
  @Setting({ env: 'RATE_LIMIT_BURST', kind: 'int', section: 'limits' })
  @IsInt()
  @Min(1)
  rateLimitBurst = 10;

  /** Seconds an Idempotency-Key and its first answer are kept; 0 = the header is ignored. */
  @Setting({ env: 'IDEMPOTENCY_WINDOW', kind: 'int', section: 'limits' })
  @IsInt()
  @Min(0)
  idempotencyWindow = 86400;

  /** Keys kept at most by the in-memory store (no REDIS_URL); past it the oldest are forgotten early. */
  @Setting({ env: 'IDEMPOTENCY_MAX_KEYS', kind: 'int', section: 'limits' })
  @IsInt()
  @Min(1)
  idempotencyMaxKeys = 100000;

  /**
   * Bytes the in-memory store (and, per client, Redis) keeps at most: keys, answers and an overhead
   * estimate per entry; past it the oldest entries of the largest client go first. 64 MiB: about
   * 1,000 answers of 64 kB or 200,000 fire-and-forget keys, sized for the shipped 512 MiB pod
   * (docs/retries-and-limits.md, "Memory").
   */
  @Setting({ env: 'IDEMPOTENCY_MAX_BYTES', kind: 'int', section: 'limits' })
  @IsInt()
  @Min(1024)
  idempotencyMaxBytes = 64 * 1024 * 1024;

  /** Bytes one client's keys may take; unset = a quarter of IDEMPOTENCY_MAX_BYTES (client-shares.ts). */
  @Setting({ env: 'IDEMPOTENCY_MAX_BYTES_PER_CLIENT', kind: 'int', section: 'limits' })
  @IsOptional()
  @IsInt()
  @Min(1024)
  idempotencyMaxBytesPerClient?: number;

  /**
   * Largest entry kept (key, answer, overhead); a larger answer is not kept, and a repeat gets 422
   * idempotency_answer_not_kept with the first message's id (it is never published twice).
   */
  @Setting({ env: 'IDEMPOTENCY_MAX_ENTRY_BYTES', kind: 'int', section: 'limits' })
  @IsInt()
  @Min(512)
  idempotencyMaxEntryBytes = 65536;

  // ---- observability: logs, traces, metrics, docs ----
  /** Log every message in and out. */
  @Setting({ env: 'NOISY', vumiKey: 'noisy', kind: 'bool', section: 'observability' })
  @IsBoolean()
  noisy = false;

  @Setting({ env: 'LOG_LEVEL', kind: 'string', section: 'observability' })
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace'])
  logLevel: LogLevel = 'info';

  /** Human-readable logs instead of JSON lines (development). */
  @Setting({ env: 'LOG_PRETTY', kind: 'bool', section: 'observability' })
  @IsBoolean()
  logPretty = false;

  /**
   * One line per answered request at `info` (`npm run dev` sets it). Off by
   * default on purpose: in production a line per request is volume nobody
   * reads; the metrics count requests, and LOG_LEVEL=debug adds the lines too.
   */
  @Setting({ env: 'LOG_REQUESTS', kind: 'bool', section: 'observability' })
  @IsBoolean()
  logRequests = false;

  /** OpenTelemetry tracing (src/platform/tracing): a span per request, carried across the broker in AMQP headers. Off = the SDK is never loaded. */
  @Setting({ env: 'OTEL_ENABLED', kind: 'bool', section: 'observability' })
  @IsBoolean()
  otelEnabled = false;

  /**
   * The OTLP/HTTP base URL, as OpenTelemetry defines it: spans go to `<endpoint>/v1/traces`
   * (e.g. http://otel-collector:4318); unset = http://localhost:4318.
   */
  @Setting({ env: 'OTEL_EXPORTER_OTLP_ENDPOINT', kind: 'string', section: 'observability' })
  @IsOptional()
  @Matches(/^https?:\/\/.+/, { message: 'must be an http:// or https:// URL' })
  otelExporterOtlpEndpoint?: string;

  /** The full OTLP/HTTP traces URL, used as given (no path appended); wins over OTEL_EXPORTER_OTLP_ENDPOINT. */
  @Setting({ env: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', kind: 'string', section: 'observability' })
  @IsOptional()
  @Matches(/^https?:\/\/.+/, { message: 'must be an http:// or https:// URL' })
  otelExporterOtlpTracesEndpoint?: string;

  /** Headers on every export, `key=value,key2=value2` (values percent-encoded), e.g. a collector's API key. */
  @Setting({ env: 'OTEL_EXPORTER_OTLP_HEADERS', kind: 'string', section: 'observability' })
  @IsOptional()
  @IsOtelKeyValues()
  otelExporterOtlpHeaders?: string;

  /** The service.name resource attribute of every span. */
  @Setting({ env: 'OTEL_SERVICE_NAME', kind: 'string', section: 'observability' })
  @IsString()
  @Matches(/\S/, { message: 'must not be empty' })
  otelServiceName = 'vumi-http-api-transport';

  /** More resource attributes, `key=value,key2=value2` (e.g. deployment.environment=prod); OTEL_SERVICE_NAME wins for service.name. */
  @Setting({ env: 'OTEL_RESOURCE_ATTRIBUTES', kind: 'string', section: 'observability' })
  @IsOptional()
  @IsOtelKeyValues()
  otelResourceAttributes?: string;

  /** Which traces are kept, by OpenTelemetry's sampler names; parentbased_* follow the caller's sampled flag. */
  @Setting({ env: 'OTEL_TRACES_SAMPLER', kind: 'string', section: 'observability' })
  @IsIn(OTEL_SAMPLERS)
  otelTracesSampler: OtelSampler = 'parentbased_always_on';

  /** The ratio kept by traceidratio and parentbased_traceidratio, 0 to 1. */
  @Setting({ env: 'OTEL_TRACES_SAMPLER_ARG', kind: 'float', section: 'observability' })
  @IsNumber()
  @Min(0)
  @Max(1)
  otelTracesSamplerArg = 1.0;

  /** Milliseconds between two batches of spans sent to the collector. */
  @Setting({ env: 'OTEL_BSP_SCHEDULE_DELAY', kind: 'int', section: 'observability' })
  @IsInt()
  @Min(1)
  otelBspScheduleDelay = 5000;

  /** Serve Prometheus metrics at metricsPath (no auth, like health); off = no metrics collected at all. */
  @Setting({ env: 'METRICS_ENABLED', kind: 'bool', section: 'observability' })
  @IsBoolean()
  metricsEnabled = true;

  /** Path of the Prometheus metrics endpoint. */
  @Setting({ env: 'METRICS_PATH', kind: 'string', section: 'observability' })
  @IsString()
  @MinLength(1)
  metricsPath = '/metrics';

  /** Serve the OpenAPI document at `<docsPath>-json` and its Swagger UI page at docsPath (no auth). */
  @Setting({ env: 'DOCS_ENABLED', kind: 'bool', section: 'observability' })
  @IsBoolean()
  docsEnabled = true;

  /** Path of the API documentation page. */
  @Setting({ env: 'DOCS_PATH', kind: 'string', section: 'observability' })
  @IsString()
  @MinLength(1)
  docsPath = '/docs';

  /**
   * A second listener (on HOST) for the metrics and the API documentation, which then answer 404 on
   * WEB_PORT; unset = both on WEB_PORT as before; 0 = any free port. The probes stay on WEB_PORT.
   */
  @Setting({ env: 'MANAGEMENT_PORT', kind: 'int', section: 'observability' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(65535)
  @DiffersFromWebPort()
  managementPort?: number;

  /**
   * The three fast paths that reach into libraries' private internals (the Express route shortcut,
   * amqplib publish frames and corked writes, lean metrics on prom-client): on = each one installed
   * when its self-check at boot passes (a warn line with the reason otherwise); off = public APIs only.
   */
  @Setting({ env: 'FAST_PATHS', kind: 'string', section: 'observability' })
  @IsIn(['on', 'off'])
  fastPaths: 'on' | 'off' = 'on';

  /** The git revision this build is from (the image's build argument sets it); unset = `git rev-parse` at boot, else `unknown`. */
  @Setting({ env: 'GIT_REVISION', kind: 'string', section: 'observability' })
  @IsOptional()
  @Matches(/^[0-9a-zA-Z._-]{1,64}$/, { message: 'must be a revision: letters, digits, ".", "_" or "-"' })
  gitRevision?: string;

  /**
   * Bearer token of the runtime controls on MANAGEMENT_PORT (/admin/reload, /admin/log-level,
   * /admin/pause, /admin/resume); unset (or no MANAGEMENT_PORT) = no controls. A secret: never logged.
   */
  @Setting({ env: 'ADMIN_TOKEN', kind: 'string', section: 'observability' })
  @IsOptional()
  @IsString()
  @MinLength(16)
  adminToken?: string;

  /** Seconds between two passive declares of `<transport_name>.inbound` (its consumers and messages); 0 = never. */
  @Setting({ env: 'INBOUND_QUEUE_CHECK_INTERVAL', kind: 'int', section: 'observability' })
  @IsInt()
  @Min(0)
  inboundQueueCheckInterval = 5;

  // ---- derived by the loader (config-loader.ts), not settings ----
  // The durations above in milliseconds, converted once where the configuration is built:
  // timers, deadlines and the HTTP server read these, never `seconds * 1000` of their own.

  publishTimeoutMs: number;
  requestTimeoutMs: number;
  requestCleanupIntervalMs: number;
  shutdownTimeoutMs: number;
  idempotencyWindowMs: number;
  httpHeadersTimeoutMs: number;
  httpRequestTimeoutMs: number;
  httpKeepAliveTimeoutMs: number;
  redisCommandTimeoutMs: number;
  redisProbeIntervalMs: number;
}
