import { HealthIndicatorService } from '@nestjs/terminus';
import { AmqpConnectionService } from '../../broker/amqp-connection.service';
import { VumiOutboundServer } from '../../reply-path/outbound/vumi-outbound.server';
import { BrokerHealthIndicator } from './broker.health';

function indicator(connected: boolean, consuming: boolean): BrokerHealthIndicator {
  const connection = {
    state: connected ? 'connected' : 'disconnected',
    isConnected: connected,
    reconnects: 0,
    node: '127.0.0.1:5672',
    lastError: connected ? null : 'consume: ECONNREFUSED',
    publishing: { state: 'connected', node: '127.0.0.1:5672', reconnects: 0 },
    consuming: { state: connected ? 'connected' : 'disconnected', node: '127.0.0.1:5672', reconnects: 0 },
  } as unknown as AmqpConnectionService;
  return new BrokerHealthIndicator(new HealthIndicatorService(), connection, { isConsuming: consuming } as VumiOutboundServer);
}

describe('BrokerHealthIndicator', () => {
  it('is up when both connections are and the outbound consumer consumes', () => {
    expect(indicator(true, true).check()).toMatchObject({ broker: { status: 'up', state: 'connected', consumer: 'consuming' } });
  });

  it('is down while the connections are up but the consumer is not consuming yet', () => {
    expect(indicator(true, false).check()).toMatchObject({
      broker: { status: 'down', consumer: 'not consuming', error: 'connected; the outbound consumer is not consuming yet' },
    });
  });

  it('is down with the connection error while disconnected', () => {
    expect(indicator(false, false).check()).toMatchObject({ broker: { status: 'down', error: 'consume: ECONNREFUSED' } });
  });
});
