// Owns: HEALTH_PATH, liveness and readiness: Terminus indicators for the broker, draining/paused, response times and the inbound queue.
// May import: itself and the layers below it in .dependency-cruiser.cjs: wire, common, config, platform/*, broker, reply-path/*, callers/*, request-path/*, operations/status.
import { DynamicModule, Module } from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants';
import { TerminusModule } from '@nestjs/terminus';
import { TransportConfig } from '../../config/transport-config';
import { AmqpModule } from '../../broker/amqp.module';
import { PendingRequestsModule } from '../../reply-path/pending-requests/pending-requests.module';
import { StatusModule } from '../status/status.module';
import { BrokerHealthIndicator } from './broker.health';
import { HealthController } from './health.controller';
import { ResponseTimeHealthIndicator } from './response-time.health';
import { LifecycleHealthIndicator } from './lifecycle.health';
import { RedisHealthIndicator } from './redis.health';
import { RedisModule } from '../../platform/redis/redis.module';
import { InboundQueueHealthIndicator } from './inbound-queue.health';
import { OutboundModule } from '../../reply-path/outbound/outbound.module';

@Module({})
export class HealthModule {
  static forRoot(config: TransportConfig): DynamicModule {
    // Paths are configuration: set them on the handlers before Nest reads them.
    const proto = HealthController.prototype;
    /* eslint-disable @typescript-eslint/unbound-method -- the handler functions are the metadata targets, never called here */
    Reflect.defineMetadata(PATH_METADATA, config.healthPath, proto.check);
    Reflect.defineMetadata(PATH_METADATA, config.livenessPath, proto.live);
    Reflect.defineMetadata(PATH_METADATA, config.readinessPath, proto.ready);
    /* eslint-enable @typescript-eslint/unbound-method */
    return {
      module: HealthModule,
      imports: [TerminusModule.forRoot({ logger: false }), AmqpModule, PendingRequestsModule, OutboundModule, StatusModule, RedisModule],
      controllers: [HealthController],
      providers: [
        BrokerHealthIndicator,
        LifecycleHealthIndicator,
        ResponseTimeHealthIndicator,
        RedisHealthIndicator,
        InboundQueueHealthIndicator,
      ],
    };
  }
}
