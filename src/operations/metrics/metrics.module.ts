// Owns: the Prometheus registry and METRICS_PATH; every metric fed by listeners on the features it counts.
// May import: itself and the layers below it in .dependency-cruiser.cjs: wire, common, config, platform/*, broker, reply-path/*, callers/*, request-path/*, operations/status, operations/health, operations/shutdown.
import { DynamicModule, Module } from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants';
import { TransportConfig } from '../../config/transport-config';
import { AmqpModule } from '../../broker/amqp.module';
import { OutboundModule } from '../../reply-path/outbound/outbound.module';
import { PendingRequestsModule } from '../../reply-path/pending-requests/pending-requests.module';
import { StatusModule } from '../status/status.module';
import { BrokerMetrics } from './broker-metrics';
import { HeldRequestMetrics } from './held-request-metrics';
import { HttpMetrics } from './http-metrics';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';
import { OutboundMetrics } from './outbound-metrics';
import { StatusMetrics } from './status-metrics';
import { CallersModule } from '../../callers/credentials/callers.module';
import { IdempotencyModule } from '../../request-path/idempotency/idempotency.module';
import { RateLimitModule } from '../../callers/rate-limit/rate-limit.module';
import { RetriesAndLimitsMetrics } from './retries-and-limits-metrics';
import { AuthMetrics } from './auth-metrics';
import { BuildMetrics } from './build-metrics';
import { RedisMetrics } from './redis-metrics';
import { RedisModule } from '../../platform/redis/redis.module';
import { CallersReloadMetrics } from './callers-reload-metrics';
import { InboundQueueMetrics } from './inbound-queue-metrics';

/**
 * Prometheus metrics. Each *-metrics provider defines its metrics in the one
 * registry and listens to the service it measures; nothing measured calls
 * into metrics, so with METRICS_ENABLED=false this module is simply absent.
 */
@Module({})
export class MetricsModule {
  static forRoot(config: TransportConfig): DynamicModule {
    Reflect.defineMetadata(PATH_METADATA, config.metricsPath, MetricsController);
    return {
      module: MetricsModule,
      imports: [
        AmqpModule,
        PendingRequestsModule,
        OutboundModule,
        StatusModule,
        CallersModule,
        IdempotencyModule,
        RateLimitModule,
        RedisModule,
      ],
      controllers: [MetricsController],
      providers: [
        MetricsService,
        HttpMetrics,
        HeldRequestMetrics,
        OutboundMetrics,
        BrokerMetrics,
        StatusMetrics,
        RetriesAndLimitsMetrics,
        AuthMetrics,
        BuildMetrics,
        RedisMetrics,
        CallersReloadMetrics,
        InboundQueueMetrics,
      ],
      exports: [MetricsService, HttpMetrics],
    };
  }
}
