// Owns: the API path: the body interceptor, guards, pipes, the controller, errors and ApiResponder (the one writer of answers).
// May import: itself and the layers below it in .dependency-cruiser.cjs: wire, common, config, platform/*, broker, reply-path/*, callers/*, request-path/http-server, request-path/inbound, request-path/idempotency.
import { DynamicModule, Module } from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants';
import { TransportConfig } from '../../config/transport-config';
import { BasicAuthGuard } from './basic-auth.guard';
import { ApiResponder } from './api-responder';
import { ReplyFormatNegotiator } from './reply-format';
import { HttpApiController } from './http-api.controller';
import { HttpApiExceptionFilter } from './http-api-exception.filter';
import { RequestBodyInterceptor } from './request-body.interceptor';
import { BodyBudget } from './body-budget';
import { VumiFieldsPipe } from './vumi-fields.pipe';
import { VumiFieldsValidation } from './vumi-fields-validation';
import { CallersModule } from '../../callers/credentials/callers.module';
import { ClientIdentityModule } from '../../callers/identity/client-identity.module';
import { IdempotencyModule } from '../idempotency/idempotency.module';
import { RateLimitModule } from '../../callers/rate-limit/rate-limit.module';
import { RateLimitGuard } from '../../callers/rate-limit/rate-limit.guard';
import { PendingRequestsModule } from '../../reply-path/pending-requests/pending-requests.module';

/**
 * The API path: controller, field pipes, auth, and ApiResponder, the one writer of its answers.
 * Publishing (InboundModule) and the Idempotency-Key rules (IdempotencyModule) sit below it.
 */
@Module({})
export class HttpApiModule {
  static forRoot(config: TransportConfig): DynamicModule {
    // The path is configuration, not a literal: set it on the controller before Nest reads it.
    Reflect.defineMetadata(PATH_METADATA, config.webPath, HttpApiController);
    return {
      module: HttpApiModule,
      imports: [CallersModule, ClientIdentityModule, IdempotencyModule, RateLimitModule, PendingRequestsModule],
      controllers: [HttpApiController],
      providers: [
        ApiResponder,
        HttpApiExceptionFilter,
        BasicAuthGuard,
        VumiFieldsPipe,
        VumiFieldsValidation,
        RateLimitGuard,
        RequestBodyInterceptor,
        BodyBudget,
        ReplyFormatNegotiator,
      ],
    };
  }
}
