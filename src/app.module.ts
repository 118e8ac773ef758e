// Owns: the composition root: every feature module, in order.
// May import: any folder of src/ (top-level files sit above every layer; only bootstrap.ts imports this one).
import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from './config/config.module';
import { TransportConfig } from './config/transport-config';
import { HealthModule } from './operations/health/health.module';
import { HttpApiModule } from './request-path/http-api/http-api.module';
import { LoggingModule } from './platform/logging/logging.module';
import { MetricsModule } from './operations/metrics/metrics.module';
import { LifecycleModule } from './platform/lifecycle/lifecycle.module';
import { ShutdownModule } from './operations/shutdown/shutdown.module';
import { OutboundModule } from './reply-path/outbound/outbound.module';
import { StatusModule } from './operations/status/status.module';
import { ManagementModule } from './operations/management/management.module';
import { adminControlsOn } from './operations/management/management-listener';

/**
 * The composition root. Health comes before the API so that its routes win
 * should WEB_PATH overlap them.
 */
@Module({})
export class AppModule {
  /** `quietLogs`: pino writes nothing (the caller brought its own Nest logger, or none). */
  static forRoot(config: TransportConfig, options: { quietLogs?: boolean } = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule.forRoot(config, options.quietLogs),
        LifecycleModule,
        StatusModule,
        HealthModule.forRoot(config),
        ...(config.metricsEnabled ? [MetricsModule.forRoot(config)] : []),
        HttpApiModule.forRoot(config),
        OutboundModule,
        ShutdownModule,
        ...(adminControlsOn(config) ? [ManagementModule] : []),
      ],
    };
  }
}
