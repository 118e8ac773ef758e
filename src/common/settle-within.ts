/**
 * Waits at most `ms` for `work` to settle; true if it did (resolved or rejected), false if it was
 * abandoned. For the steps of a shutdown that wait on another process, which must not hold the
 * exit: amqplib's `close()` of a channel or connection waits for the broker's close-ok, and a
 * channel whose connection goes while it waits never settles at all (amqplib's closing state drops
 * the continuation); a tracing collector that accepts and never answers holds the span exporter's
 * flush for its whole time-out (ClosingDeadline, TracingSdk).
 */
export async function settleWithin(ms: number, work: () => Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const abandoned = new Promise<false>((done) => (timer = setTimeout(() => done(false), ms)));
  const settled = Promise.resolve()
    .then(work)
    .then(
      () => true,
      () => true,
    );
  try {
    return await Promise.race([settled, abandoned]);
  } finally {
    clearTimeout(timer);
  }
}
