import { Injectable, OnModuleInit } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { AmqpConnectionService, BrokerState, ConnectionRole } from '../../broker/amqp-connection.service';
import { MessagePublisher } from '../../broker/message-publisher';
import { CONFIRM_DURATION_BUCKETS, METRICS_PREFIX } from './metrics.constants';
import { MetricsService } from './metrics.service';
import { LeanHistogram, LeanHistogramChild } from './lean-metrics';

/** Every state, checked by the compiler: a new BrokerState must get its series here. */
const STATES = Object.keys({
  connecting: 0,
  connected: 0,
  blocked: 0,
  disconnected: 0,
  closed: 0,
} satisfies Record<BrokerState, 0>) as BrokerState[];

/** The broker connections (state, reconnects, node in use) and the confirmed publisher (confirm latency, in flight, channel renewals). */
@Injectable()
export class BrokerMetrics implements OnModuleInit {
  private readonly state: Gauge<'state'>;
  private readonly reconnects: Counter;
  private readonly node: Gauge<'connection' | 'node'>;
  /** The node label shown per connection, so that a failover removes the old series. */
  private readonly nodeShown = new Map<ConnectionRole, string>();
  private reconnectsCounted = 0;
  private readonly confirmed: LeanHistogramChild;
  private readonly failed: LeanHistogramChild;

  constructor(
    private readonly connection: AmqpConnectionService,
    private readonly publisher: MessagePublisher,
    metrics: MetricsService,
  ) {
    const registers = metrics.registers;
    this.state = new Gauge({
      name: `${METRICS_PREFIX}broker_connection_state`,
      help: 'Broker connection state: 1 for the current state (connecting, connected, blocked: the broker refuses publishes, disconnected, closed), 0 for the others.',
      labelNames: ['state'],
      registers,
    });
    this.reconnects = new Counter({
      name: `${METRICS_PREFIX}broker_reconnects_total`,
      help: 'Connections to the broker made again after a loss.',
      registers,
    });
    const confirm = new LeanHistogram({
      name: `${METRICS_PREFIX}publish_confirm_duration_seconds`,
      help: 'Time from publishing a message to the broker confirm; outcome failed: rejected or no confirm within PUBLISH_TIMEOUT.',
      labelNames: ['outcome'],
      buckets: CONFIRM_DURATION_BUCKETS,
      registers,
    });
    this.confirmed = confirm.child('confirmed');
    this.failed = confirm.child('failed');
    this.node = new Gauge({
      name: `${METRICS_PREFIX}broker_node_info`,
      help: 'The broker node each connection (publish, consume) uses now, as host:port: 1 while connected to it.',
      labelNames: ['connection', 'node'],
      registers,
    });
    new Counter({
      name: `${METRICS_PREFIX}publisher_channel_renewals_total`,
      help: 'Confirm channels opened again after the broker nacked a publish (a quorum queue leader lost).',
      registers,
      collect() {
        this.reset();
        this.inc(publisher.channelRenewals);
      },
    });
    new Gauge({
      name: `${METRICS_PREFIX}publishes_in_flight`,
      help: 'Publishes waiting for the broker confirm now (bounded by MAX_PENDING_PUBLISHES).',
      registers,
      collect() {
        this.set(publisher.inFlight);
      },
    });
  }

  onModuleInit(): void {
    // The connection may have changed state before this hook ran: start from where it is now.
    this.show(this.connection.state);
    this.showNodes();
    this.reconnectsCounted = this.connection.reconnects;
    this.connection.onStateChange((state) => {
      this.show(state);
      this.showNodes();
      // The connection counts reconnects itself; the counter follows it.
      const total = this.connection.reconnects;
      if (total > this.reconnectsCounted) this.reconnects.inc(total - this.reconnectsCounted);
      this.reconnectsCounted = total;
    });
    this.publisher.onConfirm((seconds, ok) => (ok ? this.confirmed : this.failed).observe(seconds));
  }

  private showNodes(): void {
    for (const connection of this.connection.connections) {
      const node = connection.node;
      const shown = this.nodeShown.get(connection.role);
      if (shown !== undefined && shown !== node) this.node.remove(connection.role, shown);
      if (node === null) continue;
      this.nodeShown.set(connection.role, node);
      // 0 while disconnected: the series still names the node it was last on.
      this.node.labels(connection.role, node).set(connection.state === 'connected' || connection.state === 'blocked' ? 1 : 0);
    }
  }

  private show(current: BrokerState): void {
    for (const state of STATES) this.state.labels(state).set(state === current ? 1 : 0);
  }
}
