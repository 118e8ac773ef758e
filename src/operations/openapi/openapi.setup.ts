// Owns: the OpenAPI document and its page at DOCS_PATH.
// May import: itself and the layers below it in .dependency-cruiser.cjs: wire, common, config, platform/*, broker, reply-path/*, callers/*, request-path/*, operations/status, operations/health, operations/shutdown, operations/metrics.
import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { TransportConfig } from '../../config/transport-config';
import { HealthModule } from '../health/health.module';
import { HttpApiModule } from '../../request-path/http-api/http-api.module';
import { MetricsModule } from '../metrics/metrics.module';
import { FieldErrorsDto, MessageAcceptedDto } from '../../request-path/http-api/api-answers.dto';
import { addConfiguredAnswers } from './configured-answers';
import { callersConfigured } from '../../config/caller-entries';
import { packageVersion } from '../../config/build-info';

const DESCRIPTION = [
  'A Vumi-compatible HTTP API transport: each request on the API path becomes a Vumi inbound user message on RabbitMQ.',
  'With REPLY_EXPECTED the request is held until the application replies, and the reply is the answer.',
  'The API path, its fields and its answers are described as this instance is configured (WEB_PATH, REQUEST_TIMEOUT_STATUS_CODE, auth);',
  'the fields are those of the default ALLOWED_FIELDS.',
].join(' ');

/**
 * The OpenAPI document of this instance, read from the controllers and DTOs
 * of the running application (their paths are configuration, set when the
 * modules were built), plus the answers that depend on the configuration.
 */
export function buildOpenApiDocument(app: INestApplication, config: TransportConfig): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle('Vumi HTTP API transport')
    .setVersion(packageVersion())
    .setDescription(DESCRIPTION)
    .addTag('api', 'The API path (WEB_PATH)')
    .addTag('operations', 'Health, probes and metrics; never behind auth');
  if (config.webUsername !== undefined || callersConfigured(config)) builder.addBasicAuth();
  const document = SwaggerModule.createDocument(app, builder.build(), {
    include: [HttpApiModule, HealthModule, ...(config.metricsEnabled ? [MetricsModule] : [])],
  });
  addConfiguredAnswers(document, config);
  closeFieldErrors(document);
  closeMessageAccepted(document);
  return document;
}

/**
 * `{"message_id": ...}` is all a fire-and-forget answer holds: closed, so that the 200 JSON
 * answer's oneOf tells it from a reply as JSON (ReplyAnswerDto, which has a message_id too).
 */
function closeMessageAccepted(document: OpenAPIObject): void {
  const schema = document.components?.schemas?.[MessageAcceptedDto.name] as SchemaObject | undefined;
  if (schema) schema.additionalProperties = false;
}

/**
 * Vumi's 400 body holds only its lists, at least one: closed here, since a
 * class decorator cannot say so, which also keeps it apart from the
 * `{error, message}` shape in the 400 answer's oneOf.
 */
function closeFieldErrors(document: OpenAPIObject): void {
  const schema = document.components?.schemas?.[FieldErrorsDto.name] as SchemaObject | undefined;
  if (!schema) return;
  schema.additionalProperties = false;
  schema.minProperties = 1;
}

/**
 * Serves the Swagger UI page at DOCS_PATH and the document at
 * `<DOCS_PATH>-json`, without auth. The document is built on the first
 * request for it, when every module is in place.
 */
export function setupOpenApi(app: INestApplication, config: TransportConfig): void {
  const path = config.docsPath;
  let document: OpenAPIObject | undefined;
  SwaggerModule.setup(path, app, () => (document ??= buildOpenApiDocument(app, config)), {
    jsonDocumentUrl: `${path}-json`,
    raw: ['json'],
    customSiteTitle: 'Vumi HTTP API transport',
  });
}
