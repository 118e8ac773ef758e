// Owns: RabbitMQ for every feature: the two connections, the queue declarations, the confirmed publisher.
// May import: itself and the layers below it in .dependency-cruiser.cjs: wire, common, config, platform/*.
import { Module } from '@nestjs/common';
import { AmqpConnectionService } from './amqp-connection.service';
import { MessagePublisher } from './message-publisher';

/** The broker connection and the confirmed publisher, shared by every feature. */
@Module({ providers: [AmqpConnectionService, MessagePublisher], exports: [AmqpConnectionService, MessagePublisher] })
export class AmqpModule {}
