import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { AmqpConnectionService } from '../amqp/amqp-connection.service';

/** Reads the connection the service uses; never opens one per probe. */
@Injectable()
export class BrokerHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly connection: AmqpConnectionService,
  ) {}

  check(key = 'broker') {
    const session = this.indicators.check(key);
    const details = { state: this.connection.state, reconnects: this.connection.reconnects };
    if (this.connection.isConnected) return session.up(details);
    return session.down({ ...details, error: this.connection.lastError });
  }
}
