import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { callerOf, Caller } from '../../callers/identity/caller';
import { RequestWithBody } from './request-body.interceptor';

/** What the API's fields are read from; VumiFieldsPipe parses and validates it. */
export interface SentRequest {
  url: string;
  contentType: string | undefined;
  body: Buffer | undefined;
  /** The authenticated caller's field defaults (FIELD_DEFAULTS overlaid), if it has its own. */
  fieldDefaults?: Caller['fieldDefaults'];
}

/**
 * The request's target, content type, raw body and caller's field defaults, for VumiFieldsPipe.
 * The body is taken off the request here, its one reader: a held request keeps its `req` (through
 * its response) for up to REQUEST_TIMEOUT, and must not keep a body of up to BODY_LIMIT with it.
 */
export const Sent = createParamDecorator((_: unknown, context: ExecutionContext): SentRequest => {
  const req = context.switchToHttp().getRequest<RequestWithBody>();
  const body = req.rawBody;
  req.rawBody = undefined;
  const fieldDefaults = callerOf(req)?.fieldDefaults;
  return { url: req.originalUrl ?? req.url, contentType: req.headers['content-type'], body, fieldDefaults };
});
