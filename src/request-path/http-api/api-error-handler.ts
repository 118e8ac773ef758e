import { ArgumentsHost, Catch, HttpServer, INestApplication } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { Request, Response } from 'express';
import { RoutePath } from '../../config/paths';
import { ApiResponder } from './api-responder';

/**
 * Errors raised on the API path outside a handler's guards, pipes and filters (an error
 * of an Express middleware on the API path) reach Nest's own Express error
 * handler, which knows only global filters: this one hands those of the API path to ApiResponder and
 * leaves every other path to Nest's default answer.
 */
@Catch()
export class ApiPathErrorFilter extends BaseExceptionFilter {
  constructor(
    private readonly responder: ApiResponder,
    apiPath: string,
    adapter: HttpServer,
  ) {
    super(adapter);
    this.apiPath = new RoutePath(apiPath);
  }

  private readonly apiPath: RoutePath;

  override catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<Request>();
    if (this.apiPath.routesHere(req.originalUrl ?? req.url ?? '')) return this.responder.sendError(http.getResponse<Response>(), error);
    super.catch(error, host);
  }
}

/** Installs ApiPathErrorFilter; before app.init(), which builds Nest's error handler from the global filters. */
export function mountApiErrorHandler(app: INestApplication, apiPath: string): void {
  app.useGlobalFilters(new ApiPathErrorFilter(app.get(ApiResponder), apiPath, app.getHttpAdapter()));
}
