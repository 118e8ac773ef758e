import { INestApplication } from '@nestjs/common';
import { NextFunction, Request, Response } from 'express';
import { ApiResponder } from './api-responder';

/**
 * Errors passed to Express's `next(error)` on the API path (RequestBodyMiddleware's 413, a body
 * that failed mid-read) reach this error-handling layer instead of Express's default HTML 500:
 * Nest's exception filters only see errors of guards, pipes and handlers. Mounted after app.init(),
 * so that it comes after every layer of the path (Express runs error handlers in order).
 */
export function mountApiErrorHandler(app: INestApplication, apiPath: string): void {
  const responder = app.get(ApiResponder);
  // Four parameters: that is how Express recognises an error handler.
  app.use(apiPath, (error: unknown, _req: Request, res: Response, _next: NextFunction) => responder.sendError(res, error));
}
