import { TransportConfig } from './transport-config';

export type SettingKind = 'string' | 'int' | 'float' | 'bool' | 'list' | 'object';

export interface SettingSource {
  property: keyof TransportConfig;
  env: string;
  /** The key in a Vumi YAML config file, for Vumi's own options (and `amqp_url`, the broker's nodes). */
  vumiKey?: string;
  kind: SettingKind;
}

/** Where each setting comes from. The environment wins over the YAML file. */
export const SETTING_SOURCES: readonly SettingSource[] = [
  { property: 'transportName', env: 'TRANSPORT_NAME', vumiKey: 'transport_name', kind: 'string' },
  { property: 'amqpPrefetchCount', env: 'AMQP_PREFETCH_COUNT', vumiKey: 'amqp_prefetch_count', kind: 'int' },
  { property: 'publishStatus', env: 'PUBLISH_STATUS', vumiKey: 'publish_status', kind: 'bool' },
  { property: 'webPath', env: 'WEB_PATH', vumiKey: 'web_path', kind: 'string' },
  { property: 'webPort', env: 'WEB_PORT', vumiKey: 'web_port', kind: 'int' },
  { property: 'webUsername', env: 'WEB_USERNAME', vumiKey: 'web_username', kind: 'string' },
  { property: 'webPassword', env: 'WEB_PASSWORD', vumiKey: 'web_password', kind: 'string' },
  { property: 'webAuthDomain', env: 'WEB_AUTH_DOMAIN', vumiKey: 'web_auth_domain', kind: 'string' },
  { property: 'healthPath', env: 'HEALTH_PATH', vumiKey: 'health_path', kind: 'string' },
  { property: 'requestCleanupInterval', env: 'REQUEST_CLEANUP_INTERVAL', vumiKey: 'request_cleanup_interval', kind: 'int' },
  { property: 'requestTimeout', env: 'REQUEST_TIMEOUT', vumiKey: 'request_timeout', kind: 'int' },
  { property: 'requestTimeoutStatusCode', env: 'REQUEST_TIMEOUT_STATUS_CODE', vumiKey: 'request_timeout_status_code', kind: 'int' },
  { property: 'requestTimeoutBody', env: 'REQUEST_TIMEOUT_BODY', vumiKey: 'request_timeout_body', kind: 'string' },
  { property: 'noisy', env: 'NOISY', vumiKey: 'noisy', kind: 'bool' },
  { property: 'validationMode', env: 'VALIDATION_MODE', vumiKey: 'validation_mode', kind: 'string' },
  { property: 'responseTimeDown', env: 'RESPONSE_TIME_DOWN', vumiKey: 'response_time_down', kind: 'float' },
  { property: 'responseTimeDegraded', env: 'RESPONSE_TIME_DEGRADED', vumiKey: 'response_time_degraded', kind: 'float' },
  { property: 'responseStatusWindow', env: 'RESPONSE_STATUS_WINDOW', kind: 'float' },
  { property: 'healthFailOnResponseDown', env: 'HEALTH_FAIL_ON_RESPONSE_DOWN', kind: 'bool' },
  { property: 'replyExpected', env: 'REPLY_EXPECTED', vumiKey: 'reply_expected', kind: 'bool' },
  { property: 'allowedFields', env: 'ALLOWED_FIELDS', vumiKey: 'allowed_fields', kind: 'list' },
  { property: 'fieldDefaults', env: 'FIELD_DEFAULTS', vumiKey: 'field_defaults', kind: 'object' },
  { property: 'amqpUrls', env: 'AMQP_URL', vumiKey: 'amqp_url', kind: 'list' },
  { property: 'amqpQueueType', env: 'AMQP_QUEUE_TYPE', kind: 'string' },
  { property: 'amqpReconnectInterval', env: 'AMQP_RECONNECT_INTERVAL', kind: 'float' },
  { property: 'amqpHeartbeat', env: 'AMQP_HEARTBEAT', kind: 'int' },
  { property: 'host', env: 'HOST', kind: 'string' },
  { property: 'instanceId', env: 'INSTANCE_ID', kind: 'string' },
  { property: 'publishTimeout', env: 'PUBLISH_TIMEOUT', kind: 'float' },
  { property: 'maxPendingPublishes', env: 'MAX_PENDING_PUBLISHES', kind: 'int' },
  { property: 'shutdownTimeout', env: 'SHUTDOWN_TIMEOUT', kind: 'float' },
  { property: 'maxPendingRequests', env: 'MAX_PENDING_REQUESTS', kind: 'int' },
  { property: 'maxPendingPerClient', env: 'MAX_PENDING_PER_CLIENT', kind: 'int' },
  { property: 'bodyLimit', env: 'BODY_LIMIT', kind: 'int' },
  { property: 'maxOutboundMessageBytes', env: 'MAX_OUTBOUND_MESSAGE_BYTES', kind: 'int' },
  { property: 'maxParameters', env: 'MAX_PARAMETERS', kind: 'int' },
  { property: 'httpHeadersTimeout', env: 'HTTP_HEADERS_TIMEOUT', kind: 'float' },
  { property: 'httpRequestTimeout', env: 'HTTP_REQUEST_TIMEOUT', kind: 'float' },
  { property: 'httpKeepAliveTimeout', env: 'HTTP_KEEP_ALIVE_TIMEOUT', kind: 'float' },
  { property: 'retryAfter', env: 'RETRY_AFTER', kind: 'int' },
  { property: 'livenessPath', env: 'LIVENESS_PATH', kind: 'string' },
  { property: 'readinessPath', env: 'READINESS_PATH', kind: 'string' },
  { property: 'logLevel', env: 'LOG_LEVEL', kind: 'string' },
  { property: 'logPretty', env: 'LOG_PRETTY', kind: 'bool' },
  { property: 'logRequests', env: 'LOG_REQUESTS', kind: 'bool' },
  { property: 'otelEnabled', env: 'OTEL_ENABLED', kind: 'bool' },
  { property: 'otelExporterOtlpEndpoint', env: 'OTEL_EXPORTER_OTLP_ENDPOINT', kind: 'string' },
  { property: 'otelServiceName', env: 'OTEL_SERVICE_NAME', kind: 'string' },
  { property: 'metricsEnabled', env: 'METRICS_ENABLED', kind: 'bool' },
  { property: 'metricsPath', env: 'METRICS_PATH', kind: 'string' },
  { property: 'docsEnabled', env: 'DOCS_ENABLED', kind: 'bool' },
  { property: 'docsPath', env: 'DOCS_PATH', kind: 'string' },
  { property: 'managementPort', env: 'MANAGEMENT_PORT', kind: 'int' },
  { property: 'idempotencyWindow', env: 'IDEMPOTENCY_WINDOW', kind: 'int' },
  { property: 'idempotencyMaxKeys', env: 'IDEMPOTENCY_MAX_KEYS', kind: 'int' },
  { property: 'idempotencyMaxBytes', env: 'IDEMPOTENCY_MAX_BYTES', kind: 'int' },
  { property: 'idempotencyMaxBytesPerClient', env: 'IDEMPOTENCY_MAX_BYTES_PER_CLIENT', kind: 'int' },
  { property: 'idempotencyMaxEntryBytes', env: 'IDEMPOTENCY_MAX_ENTRY_BYTES', kind: 'int' },
  { property: 'redisUrl', env: 'REDIS_URL', kind: 'string' },
  { property: 'redisKeyPrefix', env: 'REDIS_KEY_PREFIX', kind: 'string' },
  { property: 'callersFile', env: 'CALLERS_FILE', kind: 'string' },
  { property: 'callers', env: 'CALLERS', kind: 'object' },
  { property: 'rateLimitRate', env: 'RATE_LIMIT_RATE', kind: 'float' },
  { property: 'rateLimitBurst', env: 'RATE_LIMIT_BURST', kind: 'int' },
  { property: 'trustProxy', env: 'TRUST_PROXY', kind: 'list' },
  { property: 'authFailureRate', env: 'AUTH_FAILURE_RATE', kind: 'float' },
  { property: 'authFailureBurst', env: 'AUTH_FAILURE_BURST', kind: 'int' },
  { property: 'authNameFailureRate', env: 'AUTH_NAME_FAILURE_RATE', kind: 'float' },
  { property: 'authNameFailureBurst', env: 'AUTH_NAME_FAILURE_BURST', kind: 'int' },
  { property: 'authMaxVerifications', env: 'AUTH_MAX_VERIFICATIONS', kind: 'int' },
];

/** Variables read at boot besides the settings themselves. */
export const LOADER_VARIABLES = ['CONFIG_FILE'] as const;
