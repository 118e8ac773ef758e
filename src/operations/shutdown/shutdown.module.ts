// Owns: the drain on SIGTERM: held requests answered, consumer stopped, channels closed.
// May import: itself and the layers below it in .dependency-cruiser.cjs: wire, common, config, platform/*, broker, reply-path/*, callers/*, request-path/*, operations/status, operations/health.
import { Module } from '@nestjs/common';
import { AmqpModule } from '../../broker/amqp.module';
import { OutboundModule } from '../../reply-path/outbound/outbound.module';
import { PendingRequestsModule } from '../../reply-path/pending-requests/pending-requests.module';
import { ShutdownService } from './shutdown.service';

@Module({
  imports: [AmqpModule, OutboundModule, PendingRequestsModule],
  providers: [ShutdownService],
  exports: [ShutdownService],
})
export class ShutdownModule {}
