import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { AmqpConnectionService } from '../../broker/amqp-connection.service';

/**
 * Reads the connections the service uses; never opens one per probe. Names
 * the node each connection uses (`host:port`, never credentials): in a
 * cluster the two may sit on different nodes.
 */
@Injectable()
export class BrokerHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly connection: AmqpConnectionService,
  ) {}

  check(key = 'broker') {
    const session = this.indicators.check(key);
    const { publishing, consuming } = this.connection;
    const details = {
      state: this.connection.state,
      reconnects: this.connection.reconnects,
      node: this.connection.node,
      connections: {
        publish: { state: publishing.state, node: publishing.node, reconnects: publishing.reconnects },
        consume: { state: consuming.state, node: consuming.node, reconnects: consuming.reconnects },
      },
    };
    if (this.connection.isConnected) return session.up(details);
    return session.down({ ...details, error: this.connection.lastError });
  }
}
