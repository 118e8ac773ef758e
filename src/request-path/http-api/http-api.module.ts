// Owns: the API path: body middleware, guards, pipes, the controller, errors and ApiResponder (the one writer of answers).
// May import: itself and the layers below it in .dependency-cruiser.cjs: wire, common, config, platform/*, broker, reply-path/*, callers/*, request-path/http-server, request-path/inbound, request-path/idempotency.
import { DynamicModule, Inject, MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants';
import { TransportConfig } from '../../config/transport-config';
import { TRANSPORT_CONFIG } from '../../config/config.constants';
import { BasicAuthGuard } from './basic-auth.guard';
import { ApiResponder } from './api-responder';
import { ReplyFormatNegotiator } from './reply-format';
import { HttpApiController } from './http-api.controller';
import { HttpApiExceptionFilter } from './http-api-exception.filter';
import { RequestBodyMiddleware } from './request-body.middleware';
import { VumiFieldsPipe } from './vumi-fields.pipe';
import { VumiFieldsValidation } from './vumi-fields-validation';
import { CallersModule } from '../../callers/credentials/callers.module';
import { ClientIdentityModule } from '../../callers/identity/client-identity.module';
import { IdempotencyModule } from '../idempotency/idempotency.module';
import { RateLimitModule } from '../../callers/rate-limit/rate-limit.module';
import { RateLimitGuard } from '../../callers/rate-limit/rate-limit.guard';

/**
 * The API path: controller, field pipes, auth, and ApiResponder, the one writer of its answers.
 * Publishing (InboundModule) and the Idempotency-Key rules (IdempotencyModule) sit below it.
 */
@Module({})
export class HttpApiModule implements NestModule {
  static forRoot(config: TransportConfig): DynamicModule {
    // The path is configuration, not a literal: set it on the controller before Nest reads it.
    Reflect.defineMetadata(PATH_METADATA, config.webPath, HttpApiController);
    return {
      module: HttpApiModule,
      imports: [CallersModule, ClientIdentityModule, IdempotencyModule, RateLimitModule],
      controllers: [HttpApiController],
      providers: [
        ApiResponder,
        HttpApiExceptionFilter,
        BasicAuthGuard,
        VumiFieldsPipe,
        VumiFieldsValidation,
        RateLimitGuard,
        ReplyFormatNegotiator,
      ],
    };
  }

  constructor(@Inject(TRANSPORT_CONFIG) private readonly config: TransportConfig) {}

  configure(consumer: MiddlewareConsumer): void {
    // Only where a body is read: forRoutes(HttpApiController) would mount it once per handler (HEAD,
    // GET, POST, PUT, ALL), and every request, GETs included, would pass through two of those mounts.
    const path = this.config.webPath;
    consumer.apply(RequestBodyMiddleware).forRoutes({ path, method: RequestMethod.POST }, { path, method: RequestMethod.PUT });
  }
}
