import { applyDecorators } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiExtraModels, ApiOperation, ApiQuery, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { ApiErrorDto, FieldErrorsDto, MessageAcceptedDto, ReplyAnswerDto } from './api-answers.dto';
import { InboundFieldsDto } from '../inbound/inbound-fields.dto';
import { TEXT_PLAIN_UTF8 } from '../../common/content-types';

/**
 * The API path's OpenAPI description, built from the DTO classes. Request
 * examples carry `x-expected-status`, the status the service answers them
 * with; test/openapi.e2e-spec.ts sends each one to a running service.
 * openapi.setup.ts adds what depends on the configuration: the time-out
 * answer's status and Basic auth.
 */

const TEXT = TEXT_PLAIN_UTF8;
const JSON_TYPE = 'application/json';
const FORM = 'application/x-www-form-urlencoded';
const REQUEST_ID = {
  'X-Request-Id': { description: "The request id of the log lines (the caller's own when sane).", schema: { type: 'string' } },
};
const error = (example: ApiErrorDto) => ({ [JSON_TYPE]: { schema: { $ref: getSchemaPath(ApiErrorDto) }, example } });

export function ApiPathAnswers(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(MessageAcceptedDto, ReplyAnswerDto, FieldErrorsDto, ApiErrorDto),
    ApiResponse({
      status: 200,
      description:
        'Fire-and-forget (REPLY_EXPECTED=false): the message id (JSON), once the broker confirmed the message. ' +
        "Reply mode (REPLY_EXPECTED=true): the application's reply, when it comes, in the representation the Accept header " +
        "negotiates (with Vary: Accept): Vumi's text/plain content, unless the caller prefers application/json by q-value " +
        '(e.g. `Accept: application/json`); then the reply with its session_event. A caller that states no preference ' +
        '(no Accept, or */* alone) gets REPLY_FORMAT (text by default). A replay through Idempotency-Key gets the ' +
        'representation the first request was answered with, whatever its own Accept.',
      headers: REQUEST_ID,
      content: {
        [JSON_TYPE]: {
          schema: { oneOf: [{ $ref: getSchemaPath(MessageAcceptedDto) }, { $ref: getSchemaPath(ReplyAnswerDto) }] },
          examples: {
            accepted: { summary: 'Fire-and-forget: the message id', value: { message_id: '6a1c0b7e3f6f4e0bb1f6d6a4c1f0a9e2' } },
            reply: {
              summary: 'Reply mode, Accept: application/json: the reply with its session_event',
              value: {
                message_id: 'b1f0c7e3f6f44e0bb1f6d6a4c1f0a9e2',
                to_addr: '+27831234567',
                from_addr: '*120*7#',
                content: 'Your balance is 42. Bye',
                session_event: 'close',
                in_reply_to: '6a1c0b7e3f6f4e0bb1f6d6a4c1f0a9e2',
                helper_metadata: {},
              },
            },
          },
        },
        [TEXT]: { schema: { type: 'string', example: 'Thanks, we got your message' } },
      },
    }),
    ApiResponse({
      status: 400,
      description: "Vumi's field validation (only the non-empty lists), or a request that cannot be read.",
      headers: REQUEST_ID,
      content: {
        [JSON_TYPE]: {
          schema: { oneOf: [{ $ref: getSchemaPath(FieldErrorsDto) }, { $ref: getSchemaPath(ApiErrorDto) }] },
          examples: {
            missing: { summary: 'A required field absent', value: { missing_parameter: ['to_addr', 'from_addr'] } },
            unexpected: { summary: 'A field not allowed', value: { unexpected_parameter: ['foo'] } },
            unreadable: { summary: 'Not UTF-8', value: { error: 'invalid_utf8', message: 'The query string is not valid UTF-8' } },
          },
        },
      },
    }),
    ApiResponse({
      status: 401,
      description: 'WEB_USERNAME is set and the request lacks the right Basic credentials.',
      headers: { 'WWW-Authenticate': { description: 'Basic realm="<WEB_AUTH_DOMAIN>"', schema: { type: 'string' } } },
      content: { [TEXT]: { schema: { type: 'string', example: 'Unauthorized' } } },
    }),
    ApiResponse({
      status: 413,
      description: 'The body exceeds BODY_LIMIT bytes; the connection is closed.',
      headers: REQUEST_ID,
      content: error({ error: 'payload_too_large', message: 'Request body exceeds 65536 bytes' }),
    }),
    ApiResponse({
      status: 415,
      description: 'A body that is neither a form nor JSON.',
      headers: REQUEST_ID,
      content: error({ error: 'unsupported_media_type', message: 'Send fields as application/x-www-form-urlencoded or application/json' }),
    }),
    ApiResponse({
      status: 503,
      description:
        'The broker is unreachable or did not confirm within PUBLISH_TIMEOUT, too many requests are held, or the service is shutting down. Nothing was published; retry.',
      headers: {
        ...REQUEST_ID,
        'Retry-After': { description: 'Seconds (RETRY_AFTER).', schema: { type: 'integer', example: 5 } },
      },
      content: error({ error: 'broker_unavailable', message: 'The message broker did not accept the message; retry later' }),
    }),
  );
}

const accepted = { to_addr: '555', from_addr: '123', content: 'hello' };

/** GET: the fields in the query string. */
export function ApiFieldsInQuery(): MethodDecorator {
  return applyDecorators(
    ApiOperation({ summary: 'Send a message (fields in the query string)', description: 'Publishes an inbound user message.' }),
    ApiQuery({ type: InboundFieldsDto }),
  );
}

/** POST and PUT: the fields in a form or JSON object body (the query string may carry some too). */
export function ApiFieldsInBody(method: 'POST' | 'PUT'): MethodDecorator {
  return applyDecorators(
    ApiOperation({
      summary: `Send a message (${method}, fields in the body)`,
      description: 'Publishes an inbound user message. Fields may also come in the query string; a body value replaces a query value.',
    }),
    ApiConsumes(FORM, JSON_TYPE),
    ApiBody({
      type: InboundFieldsDto,
      examples: {
        accepted: { summary: 'A message', value: accepted, 'x-expected-status': 200 } as object,
        with_session: {
          summary: 'A USSD session start in a group',
          value: { ...accepted, group: '#channel', session_event: 'new' },
          'x-expected-status': 200,
        } as object,
        missing_field: { summary: 'to_addr absent', value: { from_addr: '123', content: 'hello' }, 'x-expected-status': 400 } as object,
        unexpected_field: { summary: 'A field not allowed', value: { ...accepted, foo: 'bar' }, 'x-expected-status': 400 } as object,
      },
    }),
  );
}

/** HEAD, standing for every method but GET, POST and PUT. */
export function ApiMethodNotAllowed(): MethodDecorator {
  return applyDecorators(
    ApiOperation({ summary: 'Any other method', description: 'HEAD and every method but GET, POST and PUT get 405 and publish nothing.' }),
    ApiResponse({
      status: 405,
      description: 'Method not allowed (no body for HEAD).',
      headers: { Allow: { description: 'GET, POST, PUT', schema: { type: 'string' } }, ...REQUEST_ID },
      content: error({ error: 'method_not_allowed', message: 'Method DELETE not allowed' }),
    }),
  );
}
