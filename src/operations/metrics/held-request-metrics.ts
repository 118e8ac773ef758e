import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { TRANSPORT_CONFIG } from '../../config/config.constants';
import { TransportConfig } from '../../config/transport-config';
import { CallerCredentials } from '../../callers/credentials/caller-credentials';
import { ANONYMOUS_CALLER } from './metric-labels';
import { Gauge } from 'prom-client';
import { FinishReason } from '../../reply-path/pending-requests/held-request';
import { PendingRequestsService, RefusalReason } from '../../reply-path/pending-requests/pending-requests.service';
import { METRICS_PREFIX } from './metrics.constants';
import { MetricsService } from './metrics.service';
import { LeanCounter, LeanCounterChild } from './lean-metrics';

type LeaveReason = FinishReason | 'disconnect';
const LEAVE_REASONS: readonly LeaveReason[] = ['reply', 'timeout', 'shutdown', 'disconnect'];
const REFUSAL_REASONS: readonly RefusalReason[] = ['full', 'client_share'];
/** ClientIdentity.scopeOf's prefix of an authenticated caller's scope; any other scope is a client address. */
const CALLER_SCOPE = 'caller:';

/** Reply mode's held requests: how many wait now, and how each one left. */
@Injectable()
export class HeldRequestMetrics implements OnModuleInit {
  private readonly left = new Map<LeaveReason, LeanCounterChild>();
  private readonly refused = new Map<RefusalReason, LeanCounterChild>();

  constructor(
    @Inject(TRANSPORT_CONFIG) config: TransportConfig,
    private readonly pending: PendingRequestsService,
    callers: CallerCredentials,
    metrics: MetricsService,
  ) {
    const web = config.webUsername;
    new Gauge({
      name: `${METRICS_PREFIX}held_requests`,
      help: 'HTTP requests held for their reply now (Vumi health pending_requests), by caller (anonymous: not authenticated).',
      labelNames: ['caller'],
      registers: metrics.registers,
      collect() {
        // From the per-client shares the service keeps anyway: the hot path counts nothing for this.
        // Every configured caller (as of now: a reload may change them) shows, at 0 when it holds none.
        this.reset();
        this.labels(ANONYMOUS_CALLER).set(0);
        if (web !== undefined) this.labels(web).set(0);
        for (const name of callers.names) this.labels(name).set(0);
        for (const [scope, count] of pending.heldPerScope) {
          this.labels(scope.startsWith(CALLER_SCOPE) ? scope.slice(CALLER_SCOPE.length) : ANONYMOUS_CALLER).inc(count);
        }
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
