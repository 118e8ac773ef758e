import SwaggerParser from '@apidevtools/swagger-parser';
import Ajv from 'ajv';
import { OpenAPIV3 } from 'openapi-types';

/**
 * Reads an OpenAPI 3 document the way a client would, to check the service
 * against it: the requests its examples describe, and whether an answer is
 * one the document promises (status, headers, media type, body schema).
 */

export type Document = OpenAPIV3.Document;
type Operation = OpenAPIV3.OperationObject;
type Response = OpenAPIV3.ResponseObject;

export interface ExampleRequest {
  name: string;
  method: string;
  path: string;
  url: string;
  init: RequestInit;
  expected: number;
}

export interface Answer {
  status: number;
  headers: Headers;
  body: string;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'] as const;
const ajv = new Ajv({ strict: false, allErrors: true });

/** Validates the document as OpenAPI 3 and returns it with every $ref resolved. */
export async function validOpenApi(document: unknown): Promise<Document> {
  await SwaggerParser.validate(structuredClone(document) as Document);
  return (await SwaggerParser.dereference(structuredClone(document) as Document)) as Document;
}

export function operations(document: Document): Array<{ path: string; method: string; operation: Operation }> {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    METHODS.filter((method) => item?.[method]).map((method) => ({ path, method, operation: item![method] as Operation })),
  );
}

/** The status a request is expected to get: its example's `x-expected-status`, else the lowest documented. */
function defaultStatus(operation: Operation): number {
  return Math.min(...Object.keys(operation.responses).map(Number));
}

/** One request per example: the query parameters' examples together, and each request body example per media type. */
export function exampleRequests(baseUrl: string, path: string, method: string, operation: Operation): ExampleRequest[] {
  const query = new URLSearchParams();
  for (const parameter of (operation.parameters ?? []) as OpenAPIV3.ParameterObject[]) {
    // Query parameters are scalars, and so are their examples.
    const example = (parameter.example ?? (parameter.schema as OpenAPIV3.SchemaObject | undefined)?.example) as
      string | number | boolean | undefined;
    if (parameter.in === 'query' && example !== undefined) query.set(parameter.name, String(example));
  }
  const url = `${baseUrl}${path}${query.size > 0 ? `?${query}` : ''}`;
  const base = { method: method.toUpperCase(), path, url };
  const content = (operation.requestBody as OpenAPIV3.RequestBodyObject | undefined)?.content;
  if (!content) return [{ ...base, name: `${method} ${path}`, init: { method: base.method }, expected: defaultStatus(operation) }];
  return Object.entries(content).flatMap(([type, media]) =>
    Object.entries(media.examples ?? {}).map(([name, example]) => {
      const { value, 'x-expected-status': expected } = example as { value?: unknown; 'x-expected-status'?: number };
      const body = type.includes('json') ? JSON.stringify(value) : new URLSearchParams(value as Record<string, string>).toString();
      return {
        ...base,
        name: `${method} ${path} ${type} ${name}`,
        init: { method: base.method, body, headers: { 'content-type': type } },
        expected: expected ?? defaultStatus(operation),
      };
    }),
  );
}

const baseType = (type: string) => type.split(';', 1)[0].trim().toLowerCase();

/** What is wrong with an answer by the document's promise for it (empty when nothing). */
export function problemsWith(operation: Operation, method: string, answer: Answer): string[] {
  const response = operation.responses[String(answer.status)] as Response | undefined;
  if (!response) return [`status ${answer.status} is not documented (${Object.keys(operation.responses).join(', ')})`];
  const problems: string[] = [];
  for (const header of Object.keys(response.headers ?? {})) {
    if (!answer.headers.has(header)) problems.push(`header ${header} missing`);
  }
  if (method === 'head' || !response.content) return problems;
  const type = baseType(answer.headers.get('content-type') ?? '');
  const media = Object.entries(response.content).find(([documented]) => baseType(documented) === type)?.[1];
  if (!media) return [...problems, `media type ${type} not documented for ${answer.status}`];
  if (!media.schema) return problems;
  const value: unknown = type.includes('json') ? JSON.parse(answer.body) : answer.body;
  const validate = ajv.compile(media.schema);
  if (!validate(value)) problems.push(`body ${answer.body} does not match: ${ajv.errorsText(validate.errors)}`);
  return problems;
}

/** Response examples that their own schema refuses. */
export function badResponseExamples(document: Document): string[] {
  const problems: string[] = [];
  for (const { path, method, operation } of operations(document)) {
    for (const [status, response] of Object.entries(operation.responses) as Array<[string, Response]>) {
      for (const [type, media] of Object.entries(response.content ?? {})) {
        const examples: unknown[] = [
          media.example,
          ...Object.values(media.examples ?? {}).map((e): unknown => (e as OpenAPIV3.ExampleObject).value),
        ];
        for (const example of examples.filter((e) => e !== undefined)) {
          if (media.schema && !ajv.validate(media.schema, example)) {
            problems.push(`${method} ${path} ${status} ${type}: ${JSON.stringify(example)}: ${ajv.errorsText()}`);
          }
        }
      }
    }
  }
  return problems;
}

export async function send(url: string, init: RequestInit = {}): Promise<Answer> {
  const response = await fetch(url, init);
  return { status: response.status, headers: response.headers, body: await response.text() };
}
