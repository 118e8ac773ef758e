import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import { Response } from 'express';
import { ApiResponder } from './api-responder';

/** Hands every error of the API path's guards, pipes and handlers to ApiResponder. */
@Catch()
export class HttpApiExceptionFilter implements ExceptionFilter {
  constructor(private readonly responder: ApiResponder) {}

  catch(error: unknown, host: ArgumentsHost): void {
    this.responder.sendError(host.switchToHttp().getResponse<Response>(), error);
  }
}
