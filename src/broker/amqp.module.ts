// Owns: RabbitMQ for every feature: the two connections, the queue declarations, the confirmed publisher.
// May import: itself and the layers below it in .dependency-cruiser.cjs: wire, common, config, platform/*.
import { Module } from '@nestjs/common';
import { AmqpConnectionService } from './amqp-connection.service';
import { MessagePublisher } from './message-publisher';
import { InboundQueueMonitor } from './inbound-queue-monitor';

/** The broker connection, the confirmed publisher and the watch on `<tn>.inbound`, shared by every feature. */
@Module({
  providers: [AmqpConnectionService, MessagePublisher, InboundQueueMonitor],
  exports: [AmqpConnectionService, MessagePublisher, InboundQueueMonitor],
})
export class AmqpModule {}
