import { Logger } from '@nestjs/common';
import { AmqpConnectionManager, connect } from 'amqp-connection-manager';
import { nodeAddress } from '../config/url-redaction';
import { FailedAttemptLog } from './failed-attempt-log';
import { FastPaths } from '../config/fast-paths';
import { corkFrameWritesIfAllowed } from './corked-writes';
import { ClosingDeadline } from './closing-deadline';

/** `blocked`: connected, but the broker refuses publishes (a memory or disk alarm). */
export type BrokerState = 'connecting' | 'connected' | 'blocked' | 'disconnected' | 'closed';

/** What a connection is for: RabbitMQ blocks a publishing connection in an alarm, so consuming has its own. */
export type ConnectionRole = 'publish' | 'consume';

export interface BrokerConnectionOptions {
  role: ConnectionRole;
  /** The cluster's nodes in order of preference; the next one is tried when one is lost or refuses. */
  urls: readonly string[];
  heartbeatSeconds: number;
  reconnectSeconds: number;
  instanceId: string;
  /** FAST_PATHS and what became of them: the frame writes are corked when allowed. */
  fastPaths: FastPaths;
}

/**
 * One AMQP connection to whichever node of the list answers, with its state.
 * amqp-connection-manager does the failover: after a loss (or a refused
 * attempt) it waits `reconnectSeconds` and tries the next URL of the list,
 * round robin, so with three nodes a dead one costs one interval.
 */
export class BrokerConnection {
  private readonly logger: Logger;
  readonly manager: AmqpConnectionManager;
  private stateValue: BrokerState = 'connecting';
  private lastErrorValue: string | null = null;
  private reconnectsValue = 0;
  private everConnected = false;
  private nodeValue: string | null = null;
  private readonly listeners = new Set<(state: BrokerState) => void>();
  private readonly attempts: FailedAttemptLog;

  constructor(readonly options: BrokerConnectionOptions) {
    this.logger = new Logger(`AmqpConnection:${options.role}`);
    this.attempts = new FailedAttemptLog(this.logger, options.role);
    this.manager = connect([...options.urls], {
      heartbeatIntervalInSeconds: options.heartbeatSeconds,
      reconnectTimeInSeconds: options.reconnectSeconds,
      connectionOptions: {
        clientProperties: { connection_name: `vumi-http-api ${options.instanceId} ${options.role}` },
        // A frozen node (SIGSTOP, a hung VM) still accepts TCP in the kernel and never answers the
        // handshake: without a deadline the attempt would wait for it forever, never trying the next node.
        timeout: handshakeTimeoutMs(options.heartbeatSeconds),
      },
    });
    this.manager.on('connect', ({ connection, url }) => {
      corkFrameWritesIfAllowed(connection, options.fastPaths);
      if (this.everConnected) this.reconnectsValue++;
      this.everConnected = true;
      this.lastErrorValue = null;
      this.attempts.reset();
      this.nodeValue = nodeAddress(urlText(url));
      this.setState('connected');
      this.logger.log({ msg: `Connected to the broker node ${this.nodeValue}`, node: this.nodeValue, role: options.role });
    });
    this.manager.on('disconnect', ({ err }) => {
      if (this.stateValue === 'closed') return; // our own close (a socket dropped on the way out), not a loss
      this.lastErrorValue = err?.message ?? 'disconnected';
      const lost = this.nodeValue;
      this.setState('disconnected');
      this.logger.warn({
        msg: `Lost the broker node ${lost ?? '(none)'}: ${this.lastErrorValue}; trying the next node`,
        node: lost,
        role: options.role,
      });
    });
    // During a resource alarm publishes would wait out PUBLISH_TIMEOUT; failing fast (503) is kinder to callers.
    this.manager.on('blocked', ({ reason }) => {
      this.lastErrorValue = `blocked by the broker: ${reason}`;
      this.setState('blocked');
      this.logger.warn({
        msg: `Broker node ${this.nodeValue} blocked this connection: ${reason}`,
        node: this.nodeValue,
        role: options.role,
      });
    });
    this.manager.on('unblocked', () => {
      this.lastErrorValue = null;
      this.setState('connected');
      this.logger.log({ msg: `Broker node ${this.nodeValue} unblocked this connection`, node: this.nodeValue, role: options.role });
    });
    this.manager.on('connectFailed', ({ err, url }) => {
      const node = url === undefined ? '(unknown)' : nodeAddress(urlText(url));
      const error = err?.message ?? 'connect failed';
      this.lastErrorValue = `${node}: ${error}`;
      if (this.stateValue !== 'disconnected') this.setState('disconnected');
      this.attempts.failed(node, error);
    });
  }

  get role(): ConnectionRole {
    return this.options.role;
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

  /** Reconnections after the first connection (to any node). */
  get reconnects(): number {
    return this.reconnectsValue;
  }

  /** `host:port` of the node in use (the last one while disconnected); never credentials. */
  get node(): string | null {
    return this.nodeValue;
  }

  onStateChange(listener: (state: BrokerState) => void): void {
    this.listeners.add(listener);
  }

  /**
   * Closes its channels, then the connection, within what is left of the way out's budget; past it
   * (a broker frozen or gone mid-close: see settleWithin) the socket is destroyed instead.
   */
  async close(deadline: ClosingDeadline): Promise<void> {
    if (this.stateValue === 'closed') return;
    this.setState('closed');
    const socket = socketOf(this.manager.connection);
    if (await deadline.close(() => this.manager.close())) return;
    this.logger.warn({
      msg: `The broker node ${this.nodeValue ?? '(none)'} did not answer the close in time: connection dropped`,
      node: this.nodeValue,
      role: this.options.role,
    });
    socket?.destroy();
  }

  private setState(state: BrokerState): void {
    if (this.stateValue === 'closed') return;
    this.stateValue = state;
    for (const listener of this.listeners) listener(state);
  }
}

/** A connection attempt's deadline (TCP connect and AMQP handshake): two heartbeats, as the heartbeat's own verdict; 10 s without heartbeats. */
export function handshakeTimeoutMs(heartbeatSeconds: number): number {
  return (heartbeatSeconds > 0 ? 2 * heartbeatSeconds : 10) * 1000;
}

/** The TCP socket under an amqplib connection (its internal `connection.stream`), if it has that shape. */
function socketOf(channelModel: unknown): { destroy(): void } | undefined {
  const stream = (channelModel as { connection?: { stream?: { destroy?: unknown } } } | undefined)?.connection?.stream;
  return stream && typeof stream.destroy === 'function' ? (stream as { destroy(): void }) : undefined;
}

/** amqp-connection-manager reports the URL as given: a string here (the list is of strings). */
function urlText(url: unknown): string {
  if (typeof url === 'string') return url;
  if (url && typeof url === 'object' && 'url' in url && typeof url.url === 'string') return url.url;
  return String(url);
}

/**
 * The pair's state as health and readiness see it: `closed` or `disconnected`
 * if either is, `blocked` when publishing is blocked (a blocked consuming
 * connection still delivers and acks: it counts as connected), `connecting`
 * until both are up.
 */
export function combinedState(publish: BrokerState, consume: BrokerState): BrokerState {
  const consuming = consume === 'blocked' ? 'connected' : consume;
  for (const state of ['closed', 'disconnected', 'blocked', 'connecting'] as const) {
    if (publish === state || consuming === state) return state;
  }
  return 'connected';
}
