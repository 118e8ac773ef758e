import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { AmqpConnectionManager, connect } from 'amqp-connection-manager';
import { TRANSPORT_CONFIG } from '../config/config.constants';
import { TransportConfig } from '../config/transport-config';

/** `blocked`: connected, but the broker refuses publishes (a memory or disk alarm). */
export type BrokerState = 'connecting' | 'connected' | 'blocked' | 'disconnected' | 'closed';

/**
 * Owns the single broker connection. amqp-connection-manager reconnects by
 * itself; this service tracks the state for health, readiness and metrics.
 */
@Injectable()
export class AmqpConnectionService implements OnModuleDestroy {
  private readonly logger = new Logger('AmqpConnection');
  readonly manager: AmqpConnectionManager;
  private stateValue: BrokerState = 'connecting';
  private lastErrorValue: string | null = null;
  private reconnectsValue = 0;
  private everConnected = false;
  private readonly listeners = new Set<(state: BrokerState) => void>();

  constructor(@Inject(TRANSPORT_CONFIG) config: TransportConfig) {
    this.manager = connect([config.amqpUrl], {
      heartbeatIntervalInSeconds: config.amqpHeartbeat,
      reconnectTimeInSeconds: config.amqpReconnectInterval,
      connectionOptions: { clientProperties: { connection_name: `vumi-http-api ${config.instanceId}` } },
    });
    this.manager.on('connect', () => {
      if (this.everConnected) this.reconnectsValue++;
      this.everConnected = true;
      this.lastErrorValue = null;
      this.setState('connected');
      this.logger.log(`Connected to the broker at ${redact(config.amqpUrl)}`);
    });
    this.manager.on('disconnect', ({ err }) => {
      this.lastErrorValue = err?.message ?? 'disconnected';
      this.setState('disconnected');
      this.logger.warn(`Broker connection lost: ${this.lastErrorValue}; reconnecting`);
    });
    // During a resource alarm publishes would wait out PUBLISH_TIMEOUT; failing fast (503) is kinder to callers.
    this.manager.on('blocked', ({ reason }) => {
      this.lastErrorValue = `blocked by the broker: ${reason}`;
      this.setState('blocked');
      this.logger.warn(`Broker blocked publishing: ${reason}`);
    });
    this.manager.on('unblocked', () => {
      this.lastErrorValue = null;
      this.setState('connected');
      this.logger.log('Broker unblocked publishing');
    });
    this.manager.on('connectFailed', ({ err }) => {
      this.lastErrorValue = err?.message ?? 'connect failed';
      if (this.stateValue !== 'disconnected') {
        this.setState('disconnected');
        this.logger.warn(`Cannot reach the broker: ${this.lastErrorValue}; retrying`);
      }
    });
  }

  get state(): BrokerState {
    return this.stateValue;
  }

  get isConnected(): boolean {
    return this.stateValue === 'connected';
  }

  get lastError(): string | null {
    return this.lastErrorValue;
  }

  /** Reconnections after the first connection. */
  get reconnects(): number {
    return this.reconnectsValue;
  }

  onStateChange(listener: (state: BrokerState) => void): void {
    this.listeners.add(listener);
  }

  async close(): Promise<void> {
    if (this.stateValue === 'closed') return;
    this.setState('closed');
    await this.manager.close();
  }

  async onModuleDestroy(): Promise<void> {
    await this.close();
  }

  private setState(state: BrokerState): void {
    if (this.stateValue === 'closed') return;
    this.stateValue = state;
    for (const listener of this.listeners) listener(state);
  }
}

/** Keeps passwords out of the logs. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}
