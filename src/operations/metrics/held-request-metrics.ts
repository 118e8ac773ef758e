import { Injectable, OnModuleInit } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { FinishReason } from '../../reply-path/pending-requests/held-request';
import { PendingRequestsService, RefusalReason } from '../../reply-path/pending-requests/pending-requests.service';
import { METRICS_PREFIX } from './metrics.constants';
import { MetricsService } from './metrics.service';
import { LeanCounter, LeanCounterChild } from './lean-metrics';

type LeaveReason = FinishReason | 'disconnect';
const LEAVE_REASONS: readonly LeaveReason[] = ['reply', 'timeout', 'shutdown', 'disconnect'];
const REFUSAL_REASONS: readonly RefusalReason[] = ['full', 'client_share'];

/** Reply mode's held requests: how many wait now, and how each one left. */
@Injectable()
export class HeldRequestMetrics implements OnModuleInit {
  private readonly left = new Map<LeaveReason, LeanCounterChild>();
  private readonly refused = new Map<RefusalReason, LeanCounterChild>();

  constructor(
    private readonly pending: PendingRequestsService,
    metrics: MetricsService,
  ) {
    new Gauge({
      name: `${METRICS_PREFIX}held_requests`,
      help: 'HTTP requests held for their reply now (Vumi health pending_requests).',
      registers: metrics.registers,
      collect() {
        this.set(pending.size);
      },
    });
    const finished = new LeanCounter({
      name: `${METRICS_PREFIX}held_requests_finished_total`,
      help: 'Held requests by how they left: reply, timeout (REQUEST_TIMEOUT), shutdown (answered with the time-out status on SIGTERM), disconnect (the caller hung up).',
      labelNames: ['reason'],
      registers: metrics.registers,
    });
    // Every series exists from the start, so that rate() and alerts see a 0 rather than nothing.
    for (const reason of LEAVE_REASONS) this.left.set(reason, finished.zeroed(reason));
    const refused = new LeanCounter({
      name: `${METRICS_PREFIX}held_requests_refused_total`,
      help: 'Requests refused a held slot with 503 overloaded: full (MAX_PENDING_REQUESTS) or client_share (the client already holds MAX_PENDING_PER_CLIENT).',
      labelNames: ['reason'],
      registers: metrics.registers,
    });
    for (const reason of REFUSAL_REASONS) this.refused.set(reason, refused.zeroed(reason));
  }

  onModuleInit(): void {
    this.pending.onFinish(({ reason }) => this.left.get(reason)?.inc());
    this.pending.onDisconnect(() => this.left.get('disconnect')?.inc());
    this.pending.onRefusal((reason) => this.refused.get(reason)?.inc());
  }
}
