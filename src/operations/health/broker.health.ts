import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { AmqpConnectionService } from '../../broker/amqp-connection.service';
import { VumiOutboundServer } from '../../reply-path/outbound/vumi-outbound.server';

/**
 * Reads the connections the service uses; never opens one per probe. Names
 * the node each connection uses (`host:port`, never credentials): in a
 * cluster the two may sit on different nodes. Up once both connections are
 * and the outbound consumer consumes (replies have somewhere to go).
 */
@Injectable()
export class BrokerHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly connection: AmqpConnectionService,
    private readonly consumer: VumiOutboundServer,
  ) {}

  check(key = 'broker') {
    const session = this.indicators.check(key);
    const { publishing, consuming } = this.connection;
    const consumer = this.consumer.isConsuming ? 'consuming' : 'not consuming';
    const details = {
      state: this.connection.state,
      reconnects: this.connection.reconnects,
      node: this.connection.node,
      connections: {
        publish: { state: publishing.state, node: publishing.node, reconnects: publishing.reconnects },
        consume: { state: consuming.state, node: consuming.node, reconnects: consuming.reconnects },
      },
      consumer,
    };
    if (this.connection.isConnected && this.consumer.isConsuming) return session.up(details);
    const error = this.connection.isConnected ? 'connected; the outbound consumer is not consuming yet' : this.connection.lastError;
    return session.down({ ...details, error });
  }
}
