import { Module } from '@nestjs/common';
import { AmqpModule } from '../amqp/amqp.module';
import { OutboundModule } from '../outbound/outbound.module';
import { PendingRequestsModule } from '../pending-requests/pending-requests.module';
import { ShutdownService } from './shutdown.service';

@Module({
  imports: [AmqpModule, OutboundModule, PendingRequestsModule],
  providers: [ShutdownService],
  exports: [ShutdownService],
})
export class ShutdownModule {}
