import { DynamicModule, MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants';
import { TransportConfig } from '../config/transport-config';
import { normalisePath } from '../config/paths';
import { AmqpModule } from '../amqp/amqp.module';
import { PendingRequestsModule } from '../pending-requests/pending-requests.module';
import { LifecycleModule } from '../lifecycle/lifecycle.module';
import { BasicAuthGuard } from './basic-auth.guard';
import { ErrorResponder } from './error-responder';
import { HttpApiController } from './http-api.controller';
import { HttpApiExceptionFilter } from './http-api-exception.filter';
import { InboundMessageService } from './inbound-message.service';
import { RequestBodyMiddleware } from './request-body.middleware';
import { RequestFieldsPipe } from './request-fields.pipe';
import { VumiFieldsValidationPipe } from './vumi-fields-validation.pipe';
import { CallersModule } from '../callers/callers.module';
import { IdempotencyModule } from '../idempotency/idempotency.module';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { RateLimitGuard } from '../rate-limit/rate-limit.guard';

/** The API path: controller, field pipes, auth, errors, and the service that publishes. */
@Module({})
export class HttpApiModule implements NestModule {
  static forRoot(config: TransportConfig): DynamicModule {
    // The path is configuration, not a literal: set it on the controller before Nest reads it.
    Reflect.defineMetadata(PATH_METADATA, normalisePath(config.webPath), HttpApiController);
    return {
      module: HttpApiModule,
      imports: [AmqpModule, PendingRequestsModule, LifecycleModule, CallersModule, IdempotencyModule, RateLimitModule],
      controllers: [HttpApiController],
      providers: [
        InboundMessageService,
        ErrorResponder,
        HttpApiExceptionFilter,
        BasicAuthGuard,
        RequestFieldsPipe,
        VumiFieldsValidationPipe,
        IdempotencyService,
        RateLimitGuard,
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(RequestBodyMiddleware).forRoutes(HttpApiController);
  }
}
