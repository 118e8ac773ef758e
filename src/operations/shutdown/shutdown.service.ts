import { Inject, Injectable, Logger } from '@nestjs/common';
import { TRANSPORT_CONFIG } from '../../config/config.constants';
import { TransportConfig } from '../../config/transport-config';
import { PendingRequestsService } from '../../reply-path/pending-requests/pending-requests.service';
import { VumiOutboundServer } from '../../reply-path/outbound/vumi-outbound.server';
import { MessagePublisher } from '../../broker/message-publisher';
import { LifecycleService } from '../../platform/lifecycle/lifecycle.service';

export interface DrainReport {
  heldAtStart: number;
  timedOut: number;
  seconds: number;
}

/**
 * The ordered drain on SIGTERM: refuse new requests (readiness 503), let held
 * requests wait for their replies up to SHUTDOWN_TIMEOUT (the consumer keeps
 * running, as it carries those replies), answer what is left with the
 * time-out status, stop consuming and finish messages in hand, then let Nest
 * close the server, channels and connection.
 */
@Injectable()
export class ShutdownService {
  private readonly logger = new Logger('Shutdown');

  constructor(
    @Inject(TRANSPORT_CONFIG) private readonly config: TransportConfig,
    private readonly lifecycle: LifecycleService,
    private readonly pending: PendingRequestsService,
    private readonly consumer: VumiOutboundServer,
    private readonly publisher: MessagePublisher,
  ) {}

  async drain(): Promise<DrainReport> {
    const started = performance.now();
    this.lifecycle.startDraining();
    const heldAtStart = this.pending.size;
    this.logger.log(`Draining: ${heldAtStart} held requests, up to ${this.config.shutdownTimeout}s`);
    const timedOut = await this.pending.drain(this.config.shutdownTimeoutMs);
    this.pending.stopSweeping();
    await this.consumer.stopConsuming(); // the way out's budget (PUBLISH_TIMEOUT) starts here
    await this.publisher.close();
    const seconds = (performance.now() - started) / 1000;
    this.logger.log(`Drained in ${seconds.toFixed(3)}s (${timedOut} held requests timed out)`);
    return { heldAtStart, timedOut, seconds };
  }
}
