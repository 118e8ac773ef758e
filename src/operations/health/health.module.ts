import { DynamicModule, Module } from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants';
import { TerminusModule } from '@nestjs/terminus';
import { TransportConfig } from '../../config/transport-config';
import { AmqpModule } from '../../broker/amqp.module';
import { PendingRequestsModule } from '../../reply-path/pending-requests/pending-requests.module';
import { StatusModule } from '../status/status.module';
import { normalisePath } from '../../config/paths';
import { BrokerHealthIndicator } from './broker.health';
import { HealthController } from './health.controller';
import { ResponseTimeHealthIndicator } from './response-time.health';
import { LifecycleHealthIndicator } from './lifecycle.health';

@Module({})
export class HealthModule {
  static forRoot(config: TransportConfig): DynamicModule {
    // Paths are configuration: set them on the handlers before Nest reads them.
    const proto = HealthController.prototype;
    /* eslint-disable @typescript-eslint/unbound-method -- the handler functions are the metadata targets, never called here */
    Reflect.defineMetadata(PATH_METADATA, normalisePath(config.healthPath), proto.check);
    Reflect.defineMetadata(PATH_METADATA, normalisePath(config.livenessPath), proto.live);
    Reflect.defineMetadata(PATH_METADATA, normalisePath(config.readinessPath), proto.ready);
    /* eslint-enable @typescript-eslint/unbound-method */
    return {
      module: HealthModule,
      imports: [TerminusModule.forRoot({ logger: false }), AmqpModule, PendingRequestsModule, StatusModule],
      controllers: [HealthController],
      providers: [BrokerHealthIndicator, LifecycleHealthIndicator, ResponseTimeHealthIndicator],
    };
  }
}
