import { Module } from '@nestjs/common';
import { AmqpModule } from '../../broker/amqp.module';
import { PendingRequestsModule } from '../pending-requests/pending-requests.module';
import { ReplyDispatcher } from './reply-dispatcher';
import { VumiOutboundServer } from './vumi-outbound.server';

/** Replies from applications: the custom transport and the dispatcher it hands them to. */
@Module({
  imports: [AmqpModule, PendingRequestsModule],
  providers: [ReplyDispatcher, VumiOutboundServer],
  exports: [VumiOutboundServer, ReplyDispatcher],
})
export class OutboundModule {}
