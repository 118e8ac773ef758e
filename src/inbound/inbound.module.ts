import { Module } from '@nestjs/common';
import { AmqpModule } from '../amqp/amqp.module';
import { LifecycleModule } from '../lifecycle/lifecycle.module';
import { PendingRequestsModule } from '../pending-requests/pending-requests.module';
import { InboundMessageService } from './inbound-message.service';

/** Validated fields in, an inbound message published (and in reply mode held) out; no HTTP. */
@Module({
  imports: [AmqpModule, PendingRequestsModule, LifecycleModule],
  providers: [InboundMessageService],
  exports: [InboundMessageService],
})
export class InboundModule {}
