import { Module } from '@nestjs/common';
import { AmqpModule } from '../amqp/amqp.module';
import { PendingRequestsModule } from '../pending-requests/pending-requests.module';
import { OutboundController } from './outbound.controller';
import { ReplyDispatcher } from './reply-dispatcher.service';
import { VumiOutboundServer } from './vumi-outbound.server';

/** Replies from applications: the custom transport, its handler, and the dispatcher. */
@Module({
  imports: [AmqpModule, PendingRequestsModule],
  controllers: [OutboundController],
  providers: [ReplyDispatcher, VumiOutboundServer],
  exports: [VumiOutboundServer, ReplyDispatcher],
})
export class OutboundModule {}
