import { All, Controller, Get, Head, HttpCode, Post, Put, Req, Res, UseFilters, UseGuards, UseInterceptors } from '@nestjs/common';
import { Request, Response } from 'express';
import { BasicAuthGuard } from './basic-auth.guard';
import { HttpApiExceptionFilter } from './http-api-exception.filter';
import { MethodNotAllowedError } from './http-api.errors';
import { InboundFieldsDto } from '../inbound/inbound-fields.dto';
import { IdempotencyService, IdempotentRequest } from '../idempotency/idempotency.service';
import { IDEMPOTENCY_KEY_HEADER } from '../idempotency/idempotency-key';
import { callerHelperMetadata, callerOf } from '../../callers/identity/caller';
import { requestIdOfResponse } from '../../platform/logging/request-id';
import { ClientIdentity } from '../../callers/identity/client-identity';
import { ApiResponder } from './api-responder';
import { ResponseCloseWatch } from './response-close-watch';
import { ReplyFormatNegotiator } from './reply-format';
import { ReplyFormat } from '../../config/transport-config';
import { RateLimitGuard } from '../../callers/rate-limit/rate-limit.guard';
import { Sent } from './request-fields.decorator';
import { RequestBodyInterceptor } from './request-body.interceptor';
import { VumiFieldsPipe } from './vumi-fields.pipe';
import { ApiExcludeEndpoint, ApiTags } from '@nestjs/swagger';
import { ApiFieldsInBody, ApiFieldsInQuery, ApiMethodNotAllowed, ApiPathAnswers } from './http-api.docs';
import { ApiRetriesAndLimits } from './retries-and-limits.docs';

/**
 * The API path (WEB_PATH, set by HttpApiModule). GET, POST and PUT publish a
 * message; every other method, HEAD included, gets 405. Handlers are declared
 * in route order: HEAD first, or Express would answer it with the GET handler.
 */
@ApiTags('api')
@Controller()
@UseGuards(BasicAuthGuard, RateLimitGuard) // in this order: a limit is per authenticated caller
@UseFilters(HttpApiExceptionFilter)
export class HttpApiController {
  constructor(
    private readonly idempotency: IdempotencyService,
    private readonly responder: ApiResponder,
    private readonly identity: ClientIdentity,
    private readonly replyFormats: ReplyFormatNegotiator,
  ) {}

  @Head()
  @ApiMethodNotAllowed()
  head(@Req() req: Request): never {
    throw new MethodNotAllowedError(req.method);
  }

  @Get()
  @ApiFieldsInQuery()
  @ApiPathAnswers()
  @ApiRetriesAndLimits()
  get(@Sent(VumiFieldsPipe) fields: InboundFieldsDto, @Req() req: Request, @Res() res: Response) {
    return this.receive(fields, req, res);
  }

  @Post()
  @HttpCode(200)
  @UseInterceptors(RequestBodyInterceptor) // the body is read after the guards, and only here and for PUT
  @ApiFieldsInBody('POST')
  @ApiPathAnswers()
  @ApiRetriesAndLimits()
  post(@Sent(VumiFieldsPipe) fields: InboundFieldsDto, @Req() req: Request, @Res() res: Response) {
    return this.receive(fields, req, res);
  }

  @Put()
  @UseInterceptors(RequestBodyInterceptor)
  @ApiFieldsInBody('PUT')
  @ApiPathAnswers()
  @ApiRetriesAndLimits()
  put(@Sent(VumiFieldsPipe) fields: InboundFieldsDto, @Req() req: Request, @Res() res: Response) {
    return this.receive(fields, req, res);
  }

  @All()
  @ApiExcludeEndpoint() // documented by head(): an ALL route would stand for GET, POST and PUT too
  other(@Req() req: Request): never {
    throw new MethodNotAllowedError(req.method);
  }

  /**
   * Hands the request on as plain values, then lets ApiResponder answer its outcome: the id once
   * confirmed, a held request's reply or time-out when it settles, a replay of the first answer.
   * Errors thrown here reach ApiResponder through HttpApiExceptionFilter.
   */
  private async receive(fields: InboundFieldsDto, req: Request, res: Response): Promise<void> {
    const outcome = await this.idempotency.accept(fields, new ApiSender(req, res, this.identity, this.replyFormats));
    this.responder.sendOutcome(res, outcome);
  }
}

/**
 * Who sent an API request, as plain values read off it for the layers below. Its scope
 * (ClientIdentity.scopeOf, which may walk X-Forwarded-For) is worked out only when read: by an
 * Idempotency-Key or a held slot's share; a fire-and-forget request without a key never reads it.
 * So is the representation its held answer takes (`Accept`, ReplyFormatNegotiator).
 */
class ApiSender implements IdempotentRequest {
  readonly caller: string | undefined;
  readonly helperMetadata: Record<string, unknown> | undefined;
  readonly idempotencyKey: string | string[] | undefined;
  readonly client: ResponseCloseWatch;
  readonly requestId: string | undefined;
  private clientScope: string | undefined;

  constructor(
    private readonly req: Request,
    res: Response,
    private readonly identity: ClientIdentity,
    private readonly replyFormats: ReplyFormatNegotiator,
  ) {
    const caller = callerOf(req);
    this.caller = caller?.name;
    this.helperMetadata = callerHelperMetadata(caller);
    this.idempotencyKey = req.headers[IDEMPOTENCY_KEY_HEADER];
    this.client = new ResponseCloseWatch(res);
    this.requestId = requestIdOfResponse(res);
  }

  get scope(): string {
    return (this.clientScope ??= this.identity.scopeOf(this.req));
  }

  /** Read once, in reply mode only: fire-and-forget requests never look at `Accept`. */
  get replyFormat(): ReplyFormat {
    return this.replyFormats.formatFor(this.req.headers.accept);
  }
}
