// Owns: the MANAGEMENT_PORT listener that takes METRICS_PATH and DOCS_PATH off the public port, and the runtime controls (ADMIN_TOKEN) on it.
// May import: itself and the layers below it in .dependency-cruiser.cjs: wire, common, config, platform/*, broker, reply-path/*, callers/*, request-path/*, operations/status, operations/health, operations/shutdown, operations/metrics, operations/openapi.
import { Module } from '@nestjs/common';
import { CallersModule } from '../../callers/credentials/callers.module';
import { AdminControls } from './admin-controls';

/** The runtime controls; AppModule has it only with ADMIN_TOKEN and MANAGEMENT_PORT. */
@Module({ imports: [CallersModule], providers: [AdminControls], exports: [AdminControls] })
export class ManagementModule {}
