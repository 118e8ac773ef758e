import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from './config/config.module';
import { TransportConfig } from './config/transport-config';
import { HealthModule } from './health/health.module';
import { HttpApiModule } from './http-api/http-api.module';
import { LifecycleModule } from './lifecycle/lifecycle.module';
import { ShutdownModule } from './lifecycle/shutdown.module';
import { OutboundModule } from './outbound/outbound.module';
import { StatusModule } from './status/status.module';

/**
 * The composition root. Health comes before the API so that its routes win
 * should WEB_PATH overlap them.
 */
@Module({})
export class AppModule {
  static forRoot(config: TransportConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LifecycleModule,
        StatusModule,
        HealthModule.forRoot(config),
        HttpApiModule.forRoot(config),
        OutboundModule,
        ShutdownModule,
      ],
    };
  }
}
