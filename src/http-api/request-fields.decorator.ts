import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { RequestWithBody } from './request-body.middleware';

/** What the API's fields are read from; RequestFieldsPipe parses it. */
export interface SentRequest {
  url: string;
  contentType: string | undefined;
  body: Buffer | undefined;
}

/** The request's target, content type and raw body, for the field pipes. */
export const Sent = createParamDecorator((_: unknown, context: ExecutionContext): SentRequest => {
  const req = context.switchToHttp().getRequest<RequestWithBody>();
  return { url: req.originalUrl ?? req.url, contentType: req.headers['content-type'], body: req.rawBody };
});
