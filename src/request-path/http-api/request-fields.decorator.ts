import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { callerOf, Caller } from '../../callers/identity/caller';
import { RequestWithBody } from './request-body.middleware';

/** What the API's fields are read from; RequestFieldsPipe parses it. */
export interface SentRequest {
  url: string;
  contentType: string | undefined;
  body: Buffer | undefined;
  /** The authenticated caller's field defaults (FIELD_DEFAULTS overlaid), if it has its own. */
  fieldDefaults?: Caller['fieldDefaults'];
}

/** The request's target, content type and raw body, for the field pipes. */
export const Sent = createParamDecorator((_: unknown, context: ExecutionContext): SentRequest => {
  const req = context.switchToHttp().getRequest<RequestWithBody>();
  const fieldDefaults = callerOf(req)?.fieldDefaults;
  return { url: req.originalUrl ?? req.url, contentType: req.headers['content-type'], body: req.rawBody, fieldDefaults };
});
