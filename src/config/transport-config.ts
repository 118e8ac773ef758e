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
import { IsAddressOrCidrList } from '../client-identity/trusted-proxies';
import { DiffersFromWebPort } from '../management/management-port';

export type ValidationMode = 'strict' | 'permissive';
export type AmqpQueueType = 'classic' | 'quorum';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/** Fields Vumi's HttpApiTransport accepts by default (DEFAULT_ALLOWED_FIELDS). */
export const DEFAULT_ALLOWED_FIELDS = ['content', 'to_addr', 'from_addr', 'group', 'session_event'];

/**
 * The whole configuration, built once at boot from the environment and an
 * optional Vumi YAML file (config-loader.ts), validated, then injected as
 * TRANSPORT_CONFIG. Property defaults are the documented defaults.
 */
export class TransportConfig {
  // ---- Vumi's HttpApiTransport options ----

  /** Names the queues and routing keys; Vumi refuses upper-case routing keys. */
  @Matches(/^[a-z0-9_.-]+$/, { message: 'must be lower case letters, digits, "_", "-" or "."' })
  @MaxLength(100) // routing keys are at most 255 bytes: `<transport_name>.outbound.<instance_id>` must fit
  transportName = 'http_api';

  /** Outbound messages in flight per instance (basic.qos). */
  @IsInt() @Min(1) @Max(65535)
  amqpPrefetchCount = 20;

  /** Publish status messages on `<transport_name>.status.status`. */
  @IsBoolean()
  publishStatus = false;

  /** Path of the API; a leading `/` is optional, as in Vumi. */
  @IsString() @MinLength(1)
  webPath = '/http_api';

  /** 0 = any free port, printed at start. */
  @IsInt() @Min(0) @Max(65535)
  webPort = 8080;

  /** HTTP Basic user; unset = no auth. */
  @IsOptional() @IsString() @MinLength(1)
  webUsername?: string;

  /** Set if and only if webUsername is set. */
  @IsOptional() @IsString() @MinLength(1)
  webPassword?: string;

  /** The Basic realm. */
  @IsString()
  webAuthDomain = 'Vumi HTTP RPC transport';

  /** Health endpoint, never behind auth. */
  @IsString() @MinLength(1)
  healthPath = 'health';

  /** Seconds between time-out sweeps; < 1 disables time-outs (Vumi). */
  @IsInt()
  requestCleanupInterval = 5;

  /** Seconds a held request waits for its reply. */
  @IsInt() @Min(1)
  requestTimeout = 240;

  @IsInt() @Min(100) @Max(599)
  requestTimeoutStatusCode = 504;

  @IsString()
  requestTimeoutBody = '';

  /** Log every message in and out. */
  @IsBoolean()
  noisy = false;

  @IsIn(['strict', 'permissive'])
  validationMode: ValidationMode = 'strict';

  /** Seconds; slower 2xx responses mark the `response` component down. */
  @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(0)
  responseTimeDown = 10.0;

  /** Seconds; slower 2xx responses mark the `response` component degraded. */
  @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(0)
  responseTimeDegraded = 1.0;

  /**
   * Seconds of answers the health path's response state is judged over: it is back to
   * `ok` by itself once the window holds no slow answer and no time-out, with no traffic
   * needed (an instance out of rotation gets none).
   */
  @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(0.1) @Max(86400)
  responseStatusWindow = 60;

  /**
   * Answer the health path `503` while responses are `down`. Off by default: Vumi's
   * health path is always `200`, and a slow application shared by every instance would
   * take them all out of a load balancer's rotation at once.
   */
  @IsBoolean()
  healthFailOnResponseDown = false;

  /** Hold each request until the application's reply arrives. */
  @IsBoolean()
  replyExpected = false;

  @IsString({ each: true }) @MinLength(1, { each: true })
  allowedFields: string[] = [...DEFAULT_ALLOWED_FIELDS];

  /** Values for fields the caller did not send (strings only). */
  @IsObject()
  fieldDefaults: Record<string, string> = {};

  // ---- this service's own settings ----

  /**
   * The broker's nodes, in order of preference: the first that answers is used,
   * the next ones on its loss (a cluster). Comma-separated, a JSON array, or a
   * YAML list under `amqp_url`.
   */
  @IsArray() @ArrayNotEmpty({ message: 'must name at least one amqp:// or amqps:// URL' })
  @Matches(/^amqps?:\/\/.+/, { each: true, message: 'must be an amqp:// or amqps:// URL' })
  amqpUrls: string[] = ['amqp://guest:guest@localhost:5672/'];

  /**
   * `quorum`: every durable queue the service declares carries `x-queue-type: quorum`
   * (RabbitMQ 3.10, where every declarer must pass it). `classic`: no arguments.
   */
  @IsIn(['classic', 'quorum'])
  amqpQueueType: AmqpQueueType = 'classic';

  /** Seconds between reconnect attempts while the broker is away. */
  @IsNumber() @Min(0.1) @Max(300)
  amqpReconnectInterval = 2;

  /** AMQP heartbeat in seconds: how soon a dead broker connection is noticed. */
  @IsInt() @Min(0) @Max(600)
  amqpHeartbeat = 15;

  @IsString() @MinLength(1)
  host = '0.0.0.0';

  /** Filled by the loader: host name + random suffix unless INSTANCE_ID is set. */
  @Matches(/^[a-zA-Z0-9_.-]+$/, { message: 'must be letters, digits, "_", "-" or "."' })
  @MaxLength(120) // names this instance's own queue: see transportName
  instanceId: string;

  /** Seconds to wait for the broker's confirm before answering 503. */
  @IsNumber() @Min(0.1) @Max(600)
  publishTimeout = 5;

  /** Publishes awaiting a confirm, at most; past it callers get 503. */
  @IsInt() @Min(1)
  maxPendingPublishes = 10000;

  /** Seconds a SIGTERM waits for held requests before answering them with the time-out status. */
  @IsNumber() @Min(0) @Max(3600)
  shutdownTimeout = 30;

  /** Held requests at most (reply mode); past it new requests get 503. */
  @IsInt() @Min(1)
  maxPendingRequests = 50000;

  /**
   * Held requests at most per client (caller with auth, client address without), so that one client
   * cannot take every slot; past it that client gets 503. Unset = a quarter of MAX_PENDING_REQUESTS
   * (rounded up): see maxPendingPerClientOf in src/pending-requests/client-shares.ts.
   */
  @IsOptional() @IsInt() @Min(1)
  maxPendingPerClient?: number;

  /** Largest request body accepted, in bytes (413 beyond). */
  @IsInt() @Min(1) @Max(64 * 1024 * 1024)
  bodyLimit = 65536;

  /** Largest outbound message accepted from the broker, in bytes. */
  @IsInt() @Min(1024)
  maxOutboundMessageBytes = 1024 * 1024;

  /**
   * Most fields in one request, inclusive (400 beyond). Vumi has no limit; 1000 is the
   * common default of Node's and qs's parsers, so callers Vumi served are served here.
   */
  @IsInt() @Min(1)
  maxParameters = 1000;

  /** Seconds a client has to send the request headers. */
  @IsNumber() @Min(1)
  httpHeadersTimeout = 10;

  /** Seconds a client has to send the whole request (headers and body). */
  @IsNumber() @Min(1)
  httpRequestTimeout = 30;

  /** Seconds an idle keep-alive connection stays open. */
  @IsNumber() @Min(0)
  httpKeepAliveTimeout = 5;

  /** Seconds in the Retry-After header of a 503. */
  @IsInt() @Min(0)
  retryAfter = 5;

  /** Kubernetes liveness probe path (process only). */
  @IsString() @MinLength(1)
  livenessPath = '/health/live';

  /** Kubernetes readiness probe path (broker up, not draining). */
  @IsString() @MinLength(1)
  readinessPath = '/health/ready';

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace'])
  logLevel: LogLevel = 'info';

  /** Human-readable logs instead of JSON lines (development). */
  @IsBoolean()
  logPretty = false;

  /**
   * One line per answered request at `info` (`npm run dev` sets it). Off by
   * default on purpose: in production a line per request is volume nobody
   * reads; the metrics count requests, and LOG_LEVEL=debug adds the lines too.
   */
  @IsBoolean()
  logRequests = false;

  /** OpenTelemetry tracing (src/tracing): a span per request, carried across the broker in AMQP headers. Off = the SDK is never loaded. */
  @IsBoolean()
  otelEnabled = false;

  /** Where spans go (OTLP over HTTP), e.g. http://otel-collector:4318/v1/traces; unset = the exporter's default (localhost:4318). */
  @IsOptional() @Matches(/^https?:\/\/.+/, { message: 'must be an http:// or https:// URL' })
  otelExporterOtlpEndpoint?: string;

  /** The service.name resource attribute of every span. */
  @IsString() @Matches(/\S/, { message: 'must not be empty' })
  otelServiceName = 'vumi-http-api-transport';

  /** Serve Prometheus metrics at metricsPath (no auth, like health); off = no metrics collected at all. */
  @IsBoolean()
  metricsEnabled = true;

  /** Path of the Prometheus metrics endpoint. */
  @IsString() @MinLength(1)
  metricsPath = '/metrics';

  /** Serve the OpenAPI document at `<docsPath>-json` and its Swagger UI page at docsPath (no auth). */
  @IsBoolean()
  docsEnabled = true;

  /** Path of the API documentation page. */
  @IsString() @MinLength(1)
  docsPath = '/docs';

  /**
   * A second listener (on HOST) for the metrics and the API documentation, which then answer 404 on
   * WEB_PORT; unset = both on WEB_PORT as before; 0 = any free port. The probes stay on WEB_PORT.
   */
  @IsOptional() @IsInt() @Min(0) @Max(65535) @DiffersFromWebPort()
  managementPort?: number;

  // ---- retries, callers and limits (docs/retries-and-limits.md) ----

  /** Seconds an Idempotency-Key and its first answer are kept; 0 = the header is ignored. */
  @IsInt() @Min(0)
  idempotencyWindow = 86400;

  /** Keys kept at most by the in-memory store (no REDIS_URL); past it the oldest are forgotten early. */
  @IsInt() @Min(1)
  idempotencyMaxKeys = 100000;

  /**
   * Bytes the in-memory store (and, per client, Redis) keeps at most: keys, answers and an overhead
   * estimate per entry; past it the oldest entries of the largest client go first. 64 MiB: about
   * 1,000 answers of 64 kB or 200,000 fire-and-forget keys, sized for the shipped 512 MiB pod
   * (docs/retries-and-limits.md, "Memory").
   */
  @IsInt() @Min(1024)
  idempotencyMaxBytes = 64 * 1024 * 1024;

  /** Bytes one client's keys may take; unset = a quarter of IDEMPOTENCY_MAX_BYTES (client-shares.ts). */
  @IsOptional() @IsInt() @Min(1024)
  idempotencyMaxBytesPerClient?: number;

  /**
   * Largest entry kept (key, answer, overhead); a larger answer is not kept, and a repeat gets 422
   * idempotency_answer_not_kept with the first message's id (it is never published twice).
   */
  @IsInt() @Min(512)
  idempotencyMaxEntryBytes = 65536;

  /** Redis shared by every instance for idempotency keys and rate limits; unset = memory, per instance. */
  @IsOptional() @Matches(/^rediss?:\/\/.+/, { message: 'must be a redis:// or rediss:// URL' })
  redisUrl?: string;

  /** Prefix of every Redis key, before `<transport_name>:`. */
  @IsString()
  redisKeyPrefix = 'vumi_http_api:';

  /** YAML or JSON file listing callers: user name, password hash, rate limit, field defaults. */
  @IsOptional() @IsString() @MinLength(1)
  callersFile?: string;

  /** The same list as JSON in a variable (checked in detail by src/callers/caller-list.ts). */
  @IsOptional() @IsArray()
  callers?: unknown[];

  /** Requests per second refilling each caller's (or client address's) bucket; 0 = no limit. */
  @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(0)
  rateLimitRate = 0;

  /** Bucket size: requests a caller may send at once before the rate applies. */
  @IsInt() @Min(1)
  rateLimitBurst = 10;

  /** Peers (addresses or CIDRs) whose X-Forwarded-For is believed for every per-address limit; empty = none. */
  @IsAddressOrCidrList()
  trustProxy: string[] = [];

  // ---- failed authentications (docs/retries-and-limits.md, "Authentication") ----

  /** Failed authentications per second refilling each client address's bucket; 0 = no per-address limit. */
  @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(0)
  authFailureRate = 1;

  /** Failed authentications a client address may make at once before AUTH_FAILURE_RATE applies. */
  @IsInt() @Min(1)
  authFailureBurst = 10;

  /** Failed authentications per second refilling each user name's bucket (all addresses together); 0 = off. */
  @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(0)
  authNameFailureRate = 1;

  /** Failed authentications a user name may take at once before AUTH_NAME_FAILURE_RATE applies. */
  @IsInt() @Min(1)
  authNameFailureBurst = 20;

  /**
   * Password checks (bcrypt or scrypt, off the main thread) running at once at most; beyond it 429 at
   * once. 1: a hash keeps a core busy, and under a 1-CPU limit (the shipped pods) every thread of the
   * process shares that CPU's quota with the event loop; measured in `npm run bench -- --only=hostile`.
   */
  @IsInt() @Min(1) @Max(64)
  authMaxVerifications = 1;
}
