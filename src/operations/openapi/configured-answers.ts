import { getSchemaPath, OpenAPIObject } from '@nestjs/swagger';
import { OperationObject, ResponseObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { TransportConfig } from '../../config/transport-config';
import { callersConfigured } from '../../config/caller-entries';
import { TEXT_PLAIN_UTF8 } from '../../common/content-types';
import { ApiErrorDto } from '../../request-path/http-api/api-answers.dto';
import { REPLY_TIMEOUT_ERROR, REPLY_TIMEOUT_MESSAGE } from '../../request-path/inbound/held-answer';

const TEXT = TEXT_PLAIN_UTF8;
const JSON_TYPE = 'application/json';
const PUBLISHING = ['get', 'post', 'put'] as const;

/**
 * What the decorators cannot know, being static: the time-out answer's
 * status (REQUEST_TIMEOUT_STATUS_CODE) and body, and Basic auth when
 * WEB_USERNAME is set. Applied to the API path's publishing operations.
 */
export function addConfiguredAnswers(document: OpenAPIObject, config: TransportConfig): void {
  const item = document.paths[config.webPath];
  if (!item) return;
  for (const method of PUBLISHING) {
    const operation = item[method];
    if (!operation) continue;
    addTimeoutAnswer(operation, config);
    if (config.webUsername !== undefined || callersConfigured(config)) operation.security = [{ basic: [] }];
    else delete operation.responses['401'];
  }
}

function addTimeoutAnswer(operation: OperationObject, config: TransportConfig): void {
  const description =
    `Reply mode: no reply within REQUEST_TIMEOUT (${config.requestTimeout} s), or the service shut down first; ` +
    'the status is REQUEST_TIMEOUT_STATUS_CODE and the body REQUEST_TIMEOUT_BODY (text/plain), or, to a caller ' +
    'whose Accept prefers application/json (or REPLY_FORMAT=json), {"error": "reply_timeout", "message": ...}.';
  const json = {
    schema: { $ref: getSchemaPath(ApiErrorDto) },
    example: { error: REPLY_TIMEOUT_ERROR, message: config.requestTimeoutBody === '' ? REPLY_TIMEOUT_MESSAGE : config.requestTimeoutBody },
  };
  const key = String(config.requestTimeoutStatusCode);
  const existing = operation.responses[key] as ResponseObject | undefined;
  if (existing) {
    // The configured status is also one the API answers for other reasons (e.g. 503): describe both.
    // Its JSON schema is then already ApiErrorDto (every other answer's error shape).
    existing.description = `${existing.description} ${description}`;
    existing.content = {
      ...existing.content,
      [TEXT]: existing.content?.[TEXT] ?? { schema: { type: 'string' } },
      [JSON_TYPE]: existing.content?.[JSON_TYPE] ?? json,
    };
    return;
  }
  operation.responses[key] = {
    description,
    content: { [TEXT]: { schema: { type: 'string', example: config.requestTimeoutBody } }, [JSON_TYPE]: json },
  };
}
