import { Inject, Injectable, Logger } from '@nestjs/common';
import { TRANSPORT_CONFIG } from '../../config/config.constants';
import { TransportConfig } from '../../config/transport-config';
import { MessagePublisher } from '../../broker/message-publisher';
import { buildStatus } from '../../wire/vumi-builders';
import { encodeMessage } from '../../wire/vumi-serializer';
import { routingKeysFor } from '../../wire/vumi-topology';
import { ComponentStatus } from '../../wire/vumi-message';
import { ResponseStatus, ResponseTimeThresholds, classifyResponse, classifyTimeout } from './response-time-classifier';
import { StatusEdgeDetector } from './status-edge-detector';
import { AnswerClass, ResponseWindow, WindowCounts } from './response-window';
import { Listeners } from '../../common/listeners';

export const RESPONSE_COMPONENT = 'response';

/** What the health path shows of the `response` component. */
export interface ResponseStateSnapshot {
  /** The worst class over the last `window_seconds`; `ok` again by itself once slow answers age out. */
  state: ComponentStatus;
  /** The latest answer's type and time, whenever it came (null before the first). */
  last_type: string | null;
  last_response_time: number | null;
  window_seconds: number;
  counts: WindowCounts;
}

/** The window's class of a status row: very slow answers and time-outs are counted apart. */
function answerClassOf(status: ResponseStatus): AnswerClass {
  if (status.type === 'timeout') return 'timeout';
  return status.status;
}

/**
 * Tracks the `response` component: each answered request is classed ok,
 * degraded or down by its time; time-outs are down. Two readings, on purpose:
 * status messages (publish_status) keep Vumi's edges of answer after answer,
 * while health reads the sliding window (RESPONSE_STATUS_WINDOW), which needs
 * no further traffic to recover.
 */
@Injectable()
export class ResponseStatusService {
  private readonly logger = new Logger('ResponseStatus');
  private readonly detector = new StatusEdgeDetector();
  private readonly thresholds: ResponseTimeThresholds;
  private readonly routingKey: string;
  private lastValue: ResponseStatus | null = null;
  private readonly listeners = new Listeners<[status: ComponentStatus]>();
  private readonly window: ResponseWindow;

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
    this.window = new ResponseWindow(config.responseStatusWindow);
  }

  snapshot(): ResponseStateSnapshot {
    const counts = this.window.counts();
    return {
      state: ResponseWindow.stateOf(counts),
      last_type: this.lastValue?.type ?? null,
      last_response_time: this.lastValue?.details.response_time ?? null,
      window_seconds: this.config.responseStatusWindow,
      counts,
    };
  }

  /** The latest classification, or null before the first answered request. */
  get last(): ResponseStatus | null {
    return this.lastValue;
  }

  onStatus(listener: (status: ComponentStatus) => void): void {
    this.listeners.add(listener);
  }

  recordResponse(seconds: number): void {
    this.record(classifyResponse(seconds, this.thresholds));
  }

  recordTimeout(seconds: number): void {
    this.record(classifyTimeout(seconds, this.thresholds));
  }

  private record(status: ResponseStatus): void {
    this.lastValue = status;
    this.window.record(answerClassOf(status));
    if (!this.detector.record(status.status, status.type)) return;
    this.listeners.emit(status.status);
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
