import { OpenAPIObject } from '@nestjs/swagger';
import { OperationObject, ResponseObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { TransportConfig } from '../../config/transport-config';
import { callersConfigured } from '../../config/caller-entries';
import { TEXT_PLAIN_UTF8 } from '../../common/content-types';

const TEXT = TEXT_PLAIN_UTF8;
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
    `Reply mode: no reply within REQUEST_TIMEOUT (${config.requestTimeout} s); ` +
    'the status is REQUEST_TIMEOUT_STATUS_CODE and the body REQUEST_TIMEOUT_BODY.';
  const key = String(config.requestTimeoutStatusCode);
  const existing = operation.responses[key] as ResponseObject | undefined;
  if (existing) {
    // The configured status is also one the API answers for other reasons (e.g. 503): describe both.
    existing.description = `${existing.description} ${description}`;
    existing.content = { ...existing.content, [TEXT]: existing.content?.[TEXT] ?? { schema: { type: 'string' } } };
    return;
  }
  operation.responses[key] = {
    description,
    content: { [TEXT]: { schema: { type: 'string', example: config.requestTimeoutBody } } },
  };
}
