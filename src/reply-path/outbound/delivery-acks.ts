import { Channel, ConsumeMessage } from 'amqplib';

/**
 * The acks of one consumer channel, sent together once per turn of the event
 * loop: the deliveries settled in that turn whose tags run on from the last
 * ack without a gap go in one `basic.ack` with `multiple`, any settled beyond
 * a gap (a delivery still in hand) are acked one by one, so a slow message
 * never holds the others' prefetch slots. A delivery is handed here only once
 * it was handled (its reply written, its event confirmed), so `multiple` never
 * acks anything early: it covers only tags that are settled already.
 *
 * Relies on what AMQP guarantees of one channel: delivery tags start at 1 and
 * go up by one per delivery, whichever of the channel's consumers it went to.
 * Every delivery of the channel must be settled through this object (`ack` or
 * `requeued`), else its tag stays a gap and later acks go one by one.
 */
export class DeliveryAcks {
  /** Every tag up to here is settled at the broker. */
  private settledThrough = 0;
  /** Handled, ack not sent yet: the next flush sends it. */
  private readonly ready = new Map<number, ConsumeMessage>();
  /** Beyond settledThrough and settled at the broker already (acked alone, or requeued). */
  private readonly settledAhead = new Set<number>();
  private flushScheduled = false;

  constructor(
    private readonly channel: Channel,
    private readonly onError: (error: Error) => void,
  ) {}

  /** Queues the ack; it goes out at the end of this turn of the event loop. */
  ack(message: ConsumeMessage): void {
    this.ready.set(message.fields.deliveryTag, message);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Requeues at once (a redelivery should not wait), and records the tag as settled. */
  requeue(message: ConsumeMessage): void {
    this.send(() => this.channel.nack(message, false, true));
    this.markSettled(message.fields.deliveryTag);
  }

  /** Sends what is ready now: at the end of a turn, and before the channel closes. */
  flush(): void {
    this.flushScheduled = false;
    if (this.ready.size === 0) return;
    let through = this.settledThrough;
    let last: ConsumeMessage | undefined;
    for (;;) {
      const next = through + 1;
      const message = this.ready.get(next);
      if (message !== undefined) {
        this.ready.delete(next);
        last = message;
      } else if (!this.settledAhead.delete(next)) break;
      through = next;
    }
    this.settledThrough = through;
    // `multiple` with the highest handled tag of the run: every tag below it is settled (requeued ones are no longer outstanding).
    if (last !== undefined) this.send(() => this.channel.ack(last, true));
    for (const [tag, message] of this.ready) {
      this.send(() => this.channel.ack(message, false));
      this.settledAhead.add(tag);
    }
    this.ready.clear();
  }

  private markSettled(tag: number): void {
    if (tag === this.settledThrough + 1) {
      this.settledThrough = tag;
      while (this.settledAhead.delete(this.settledThrough + 1)) this.settledThrough++;
    } else {
      this.settledAhead.add(tag);
    }
  }

  /** A closed channel throws: its unacked deliveries go back to the queue anyway. */
  private send(write: () => void): void {
    try {
      write();
    } catch (error) {
      this.onError(error as Error);
    }
  }
}
