// Owns: replies from applications: the outbound consumer (a custom transport) and the dispatcher it hands them to.
// May import: itself and the layers below it in .dependency-cruiser.cjs: wire, common, config, platform/*, broker, reply-path/pending-requests.
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
