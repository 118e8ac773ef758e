import { Inject, Injectable, Logger } from '@nestjs/common';
import { TRANSPORT_CONFIG } from '../config/config.constants';
import { TransportConfig } from '../config/transport-config';
import { MessagePublisher } from '../amqp/message-publisher.service';
import { buildStatus, encodeMessage } from '../vumi/vumi-codec';
import { routingKeysFor } from '../vumi/vumi-topology';
import { ComponentStatus } from '../vumi/vumi-message';
import { ResponseStatus, ResponseTimeThresholds, classifyResponse, classifyTimeout } from './response-time-classifier';
import { StatusEdgeDetector } from './status-edge-detector';

export const RESPONSE_COMPONENT = 'response';

/**
 * Tracks the `response` component: each answered request is classed ok,
 * degraded or down by its time; time-outs are down. Health reads the current
 * status; with publish_status on, edges are published as Vumi status messages.
 */
@Injectable()
export class ResponseStatusService {
  private readonly logger = new Logger('ResponseStatus');
  private readonly detector = new StatusEdgeDetector();
  private readonly thresholds: ResponseTimeThresholds;
  private readonly routingKey: string;
  private lastValue: ResponseStatus | null = null;
  private readonly listeners: Array<(status: ComponentStatus) => void> = [];

  constructor(
    @Inject(TRANSPORT_CONFIG) private readonly config: TransportConfig,
    private readonly publisher: MessagePublisher,
  ) {
    this.thresholds = {
      degradedSeconds: config.responseTimeDegraded,
      downSeconds: config.responseTimeDown,
      requestTimeoutSeconds: config.requestTimeout,
    };
    this.routingKey = routingKeysFor(config.transportName).status;
  }

  /** The latest classification, or null before the first answered request. */
  get last(): ResponseStatus | null {
    return this.lastValue;
  }

  onStatus(listener: (status: ComponentStatus) => void): void {
    this.listeners.push(listener);
  }

  recordResponse(seconds: number): void {
    this.record(classifyResponse(seconds, this.thresholds));
  }

  recordTimeout(seconds: number): void {
    this.record(classifyTimeout(seconds, this.thresholds));
  }

  private record(status: ResponseStatus): void {
    this.lastValue = status;
    if (!this.detector.record(status.status, status.type)) return;
    for (const listener of this.listeners) listener(status.status);
    if (this.config.publishStatus) void this.publish(status);
  }

  private async publish(status: ResponseStatus): Promise<void> {
    const message = buildStatus({ component: RESPONSE_COMPONENT, ...status });
    try {
      await this.publisher.publish(this.routingKey, encodeMessage(message));
    } catch (error) {
      // A status is advisory: losing one to a broker outage must not fail a request.
      this.logger.warn(`Status ${status.status}/${status.type} not published: ${(error as Error).message}`);
    }
  }
}
