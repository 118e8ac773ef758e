import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { TRANSPORT_CONFIG } from '../config/config.constants';
import { fastPathsFor } from '../config/fast-paths';
import { TransportConfig } from '../config/transport-config';
import { BrokerConnection, BrokerState, combinedState } from './broker-connection';
import { ClosingDeadline } from './closing-deadline';

export type { BrokerState, ConnectionRole } from './broker-connection';

/**
 * Owns the broker connections: one for publishing, one for consuming
 * (RabbitMQ's guidance: in a memory or disk alarm it blocks connections that
 * publish, and a blocked connection would stall the replies and acks of a
 * consumer sharing it). Each fails over along AMQP_URL's nodes by itself;
 * this service sums their states up for health, readiness and metrics.
 */
@Injectable()
export class AmqpConnectionService implements OnApplicationShutdown {
  readonly publishing: BrokerConnection;
  readonly consuming: BrokerConnection;
  private readonly listeners = new Set<(state: BrokerState) => void>();
  /** The way out's one budget (PUBLISH_TIMEOUT), shared by every broker round trip of the shutdown. */
  readonly closingDeadline: ClosingDeadline;

  constructor(@Inject(TRANSPORT_CONFIG) config: TransportConfig) {
    this.closingDeadline = new ClosingDeadline(config.publishTimeoutMs);
    const common = {
      urls: config.amqpUrls,
      heartbeatSeconds: config.amqpHeartbeat,
      reconnectSeconds: config.amqpReconnectInterval,
      instanceId: config.instanceId,
      fastPaths: fastPathsFor(config),
    };
    this.publishing = new BrokerConnection({ ...common, role: 'publish' });
    this.consuming = new BrokerConnection({ ...common, role: 'consume' });
    for (const connection of this.connections) connection.onStateChange(() => this.report());
  }

  get connections(): readonly BrokerConnection[] {
    return [this.publishing, this.consuming];
  }

  /**
   * One state for the pair: `closed` or `disconnected` if either is, `blocked`
   * when publishing is blocked (a blocked consuming connection still delivers
   * and acks, so it counts as connected), `connecting` until both are up.
   */
  get state(): BrokerState {
    return combinedState(this.publishing.state, this.consuming.state);
  }

  /** Both connections up and publishing not blocked: ready for traffic. */
  get isConnected(): boolean {
    return this.state === 'connected';
  }

  /** Publishing may go ahead (the consuming connection does not matter for it). */
  get canPublish(): boolean {
    return this.publishing.isConnected;
  }

  get lastError(): string | null {
    const errors = this.connections
      .filter((connection) => connection.lastError !== null)
      .map((connection) => `${connection.role}: ${connection.lastError}`);
    return errors.length > 0 ? errors.join('; ') : null;
  }

  /** Reconnections after the first connection: the larger of the two counts, so one outage counts once. */
  get reconnects(): number {
    return Math.max(this.publishing.reconnects, this.consuming.reconnects);
  }

  /** The node publishing uses (`host:port`), null before the first connection. */
  get node(): string | null {
    return this.publishing.node;
  }

  /** Called with the summed-up state each time it changes. */
  onStateChange(listener: (state: BrokerState) => void): void {
    this.listeners.add(listener);
  }

  /** Both connections, within what is left of the way out's budget (BrokerConnection.close). */
  async close(): Promise<void> {
    await Promise.all(this.connections.map((connection) => connection.close(this.closingDeadline)));
  }

  /**
   * The last of Nest's hooks, after every channel on these connections was closed (the monitor's and
   * the publisher's in onModuleDestroy, the consumer's with the microservice): a channel whose close
   * is overtaken by its connection's never settles (settleWithin).
   */
  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  private report(): void {
    const state = this.state;
    // Every change of either connection is reported, even when the sum stays the same: listeners also follow reconnects and nodes.
    for (const listener of this.listeners) listener(state);
  }
}
