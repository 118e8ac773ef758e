// Owns: validated fields to an inbound message published (and, in reply mode, held); no HTTP.
// May import: itself and the layers below it in .dependency-cruiser.cjs: wire, common, config, platform/*, broker, reply-path/*, callers/*, request-path/http-server.
import { Module } from '@nestjs/common';
import { AmqpModule } from '../../broker/amqp.module';
import { LifecycleModule } from '../../platform/lifecycle/lifecycle.module';
import { PendingRequestsModule } from '../../reply-path/pending-requests/pending-requests.module';
import { HeldAnswers } from './held-answer';
import { InboundMessageService } from './inbound-message.service';

/** Validated fields in, an inbound message published (and in reply mode held) out; no HTTP. */
@Module({
  imports: [AmqpModule, PendingRequestsModule, LifecycleModule],
  providers: [InboundMessageService, HeldAnswers],
  exports: [InboundMessageService],
})
export class InboundModule {}
