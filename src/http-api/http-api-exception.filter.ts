import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import { Response } from 'express';
import { ErrorResponder } from './error-responder';

/** Hands every error of the API path to ErrorResponder. */
@Catch()
export class HttpApiExceptionFilter implements ExceptionFilter {
  constructor(private readonly errors: ErrorResponder) {}

  catch(error: unknown, host: ArgumentsHost): void {
    this.errors.send(host.switchToHttp().getResponse<Response>(), error);
  }
}
