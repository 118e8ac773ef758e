import { Injectable, OnModuleInit } from '@nestjs/common';
import { DispatchResult, ReplyDispatcher } from '../../reply-path/outbound/reply-dispatcher';
import { VumiOutboundServer } from '../../reply-path/outbound/vumi-outbound.server';
import { METRICS_PREFIX } from './metrics.constants';
import { MetricsService } from './metrics.service';
import { nackReasonLabel, NackReasonLabel } from './metric-labels';
import { MalformedVumiMessageCode } from '../../wire/vumi-decoder';
import { LeanCounter, LeanCounterChild } from './lean-metrics';

const RESULTS: readonly (DispatchResult | 'malformed')[] = ['replied', 'forwarded', 'nacked', 'malformed'];
const NACK_REASONS: readonly NackReasonLabel[] = [
  'no_matching_request',
  'replies_not_expected',
  'invalid_fields',
  'missing_fields',
  'other',
];
/** The reason label is the error's own code (MalformedVumiMessageError.code); `other` stays, at 0, for existing dashboards. */
const MALFORMED_REASONS: readonly (MalformedVumiMessageCode | 'other')[] = [
  'too_large',
  'not_json',
  'not_an_object',
  'no_message_id',
  'not_a_user_message',
  'other',
];

/** The throttled per-message lines of the outbound side (ThrottledLines kinds). */
const SUPPRESSED_KINDS = ['outbound_malformed', 'outbound_nack', 'outbound_failed', 'outbound_settle'];

/** What became of each message taken off the outbound queues, and the Vumi events published about them. */
@Injectable()
export class OutboundMetrics implements OnModuleInit {
  private readonly results = new Map<string, LeanCounterChild>();
  private readonly acks: LeanCounterChild;
  private readonly nacks = new Map<string, LeanCounterChild>();
  private readonly malformed = new Map<string, LeanCounterChild>();
  private readonly suppressed = new Map<string, LeanCounterChild>();

  constructor(
    private readonly dispatcher: ReplyDispatcher,
    private readonly consumer: VumiOutboundServer,
    metrics: MetricsService,
  ) {
    const registers = metrics.registers;
    const outbound = new LeanCounter({
      name: `${METRICS_PREFIX}outbound_messages_total`,
      help: 'Outbound messages handled: replied (matched a held request), forwarded (to the instance holding it), nacked, malformed (dropped undecodable).',
      labelNames: ['result'],
      registers,
    });
    const events = new LeanCounter({
      name: `${METRICS_PREFIX}events_published_total`,
      help: 'Vumi events published: ack (reply delivered) and nack by reason.',
      labelNames: ['event_type', 'reason'],
      registers,
    });
    const malformed = new LeanCounter({
      name: `${METRICS_PREFIX}outbound_malformed_total`,
      help: 'Outbound messages dropped as not decodable (acked, not requeued), by reason.',
      labelNames: ['reason'],
      registers,
    });
    const suppressed = new LeanCounter({
      name: `${METRICS_PREFIX}log_lines_suppressed_total`,
      help: 'Per-message log lines left out by their throttle (at most one line per kind per 10 s), by kind.',
      labelNames: ['kind'],
      registers,
    });
    for (const kind of SUPPRESSED_KINDS) this.suppressed.set(kind, suppressed.zeroed(kind));
    // Children made once and zeroed: no per-message label lookups, and every series exists from the start.
    for (const result of RESULTS) this.results.set(result, outbound.zeroed(result));
    this.acks = events.zeroed('ack', '');
    for (const reason of NACK_REASONS) this.nacks.set(reason, events.zeroed('nack', reason));
    for (const reason of MALFORMED_REASONS) this.malformed.set(reason, malformed.zeroed(reason));
  }

  onModuleInit(): void {
    this.dispatcher.onDispatch((result, reason) => {
      this.results.get(result)?.inc();
      if (result === 'replied') this.acks.inc();
      else if (result === 'nacked') this.nacks.get(nackReasonLabel(reason))?.inc();
    });
    const countSuppressed = (kind: string) => this.suppressed.get(kind)?.inc();
    this.dispatcher.onSuppressedLine(countSuppressed);
    this.consumer.onSuppressedLine(countSuppressed);
    this.consumer.onMalformed((code) => {
      this.results.get('malformed')?.inc();
      this.malformed.get(code)?.inc();
    });
  }
}
