import { applyDecorators } from '@nestjs/common';
import { ApiHeader, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { ApiErrorDto } from './api-answers.dto';

/**
 * The OpenAPI description of Idempotency-Key and the rate limits
 * (docs/retries-and-limits.md): the request header and the 409, 422 and
 * 429 answers of the publishing operations.
 */

const JSON_TYPE = 'application/json';
const error = (example: ApiErrorDto) => ({ [JSON_TYPE]: { schema: { $ref: getSchemaPath(ApiErrorDto) }, example } });
const RATE_LIMIT_FIELDS = {
  'RateLimit-Policy': {
    description:
      "The caller's token bucket as a quota (IETF draft-ietf-httpapi-ratelimit-headers): q = burst, w = seconds to refill it. " +
      'Sent on every answer while a limit applies.',
    schema: { type: 'string', example: '"default";q=10;w=5' },
  },
  RateLimit: {
    description: 'Requests left now (r) and seconds until the bucket is full again (t).',
    schema: { type: 'string', example: '"default";r=0;t=5' },
  },
};

export function ApiRetriesAndLimits(): MethodDecorator {
  return applyDecorators(
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      description:
        'IETF draft-ietf-httpapi-idempotency-key-header: a key of the caller\'s choosing, an sf-string ("…") or a bare token, ' +
        'at most 255 printable ASCII characters. Within IDEMPOTENCY_WINDOW a repeat with the same fields gets the first answer ' +
        'again, with `Idempotent-Replayed: true`, and publishes nothing; a 503 stores nothing, so it may be retried with the same key.',
      schema: { type: 'string', example: '"8e03978e-40d5-43e8-bc93-6894a57f9324"' },
    }),
    ApiResponse({
      status: 409,
      description: 'A request with this Idempotency-Key is still in flight (publishing, or held for its reply). Retry later.',
      headers: { 'Retry-After': { description: 'Seconds.', schema: { type: 'integer', example: 1 } } },
      content: error({
        error: 'idempotency_key_in_flight',
        message: 'A request with this Idempotency-Key is still being processed; retry later',
      }),
    }),
    ApiResponse({
      status: 422,
      description: 'This Idempotency-Key was used for a request with different fields (after defaults). Use a new key.',
      content: error({
        error: 'idempotency_key_reused',
        message: 'This Idempotency-Key was used for a request with different fields; use a new key',
      }),
    }),
    ApiResponse({
      status: 429,
      description: "The caller's rate limit (or the client address's, without auth) is spent. Nothing was published.",
      headers: {
        'Retry-After': { description: 'Seconds until the next request is allowed.', schema: { type: 'integer', example: 2 } },
        ...RATE_LIMIT_FIELDS,
      },
      content: error({ error: 'rate_limited', message: 'Too many requests; retry in 2 s' }),
    }),
  );
}
