import { All, Controller, Get, Head, HttpCode, Post, Put, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { Request, Response } from 'express';
import { BasicAuthGuard } from './basic-auth.guard';
import { HttpApiExceptionFilter } from './http-api-exception.filter';
import { MethodNotAllowedError } from './http-api.errors';
import { InboundFieldsDto } from './inbound-fields.dto';
import { InboundMessageService } from './inbound-message.service';
import { Sent } from './request-fields.decorator';
import { RequestFieldsPipe } from './request-fields.pipe';
import { VumiFieldsValidationPipe } from './vumi-fields-validation.pipe';

const ACCEPTED_HEADERS = { 'Content-Type': 'application/json; charset=utf-8' };

/**
 * The API path (WEB_PATH, set by HttpApiModule). GET, POST and PUT publish a
 * message; every other method, HEAD included, gets 405. Handlers are declared
 * in route order: HEAD first, or Express would answer it with the GET handler.
 */
@Controller()
@UseGuards(BasicAuthGuard)
@UseFilters(HttpApiExceptionFilter)
export class HttpApiController {
  constructor(private readonly inbound: InboundMessageService) {}

  @Head()
  head(@Req() req: Request): never {
    throw new MethodNotAllowedError(req.method);
  }

  @Get()
  get(@Sent(RequestFieldsPipe, VumiFieldsValidationPipe) fields: InboundFieldsDto, @Res() res: Response) {
    return this.receive(fields, res);
  }

  @Post()
  @HttpCode(200)
  post(@Sent(RequestFieldsPipe, VumiFieldsValidationPipe) fields: InboundFieldsDto, @Res() res: Response) {
    return this.receive(fields, res);
  }

  @Put()
  put(@Sent(RequestFieldsPipe, VumiFieldsValidationPipe) fields: InboundFieldsDto, @Res() res: Response) {
    return this.receive(fields, res);
  }

  @All()
  other(@Req() req: Request): never {
    throw new MethodNotAllowedError(req.method);
  }

  /** Fire-and-forget answers the id once confirmed; a held request is answered by its reply. */
  private async receive(fields: InboundFieldsDto, res: Response): Promise<void> {
    const outcome = await this.inbound.accept(fields, res);
    if (outcome.held || res.writableEnded) return;
    const body = `{"message_id":"${outcome.messageId}"}`;
    res.writeHead(200, { ...ACCEPTED_HEADERS, 'Content-Length': body.length });
    res.end(body);
  }
}
