/**
 * The wall clock Vumi timestamps are written from, in microseconds since the
 * epoch (UTC). `Date.now()` has only milliseconds, and Vumi writes
 * `datetime.utcnow()` with six real digits; `performance.timeOrigin +
 * performance.now()` has sub-millisecond resolution.
 *
 * `performance.now()` is monotonic while the wall clock is stepped by NTP, so
 * the two drift apart over days; past RESYNC_MS the clock re-anchors to
 * `Date.now()`. It never goes backwards within the process: after a backward
 * step it repeats its last reading until the wall clock catches up, because a
 * reader ordering messages by timestamp must not see a reply before its cause.
 */

/** Drift from `Date.now()` tolerated before re-anchoring. */
const RESYNC_MS = 1000;

let originMs = performance.timeOrigin;
let lastMicros = 0;

export function nowMicros(): number {
  let wallMs = originMs + performance.now();
  const drift = Date.now() - wallMs;
  if (drift > RESYNC_MS || drift < -RESYNC_MS) {
    originMs += drift;
    wallMs += drift;
  }
  // About 1.8e15 today: well inside a double's exact integers (9e15).
  const micros = Math.floor(wallMs * 1000);
  if (micros > lastMicros) lastMicros = micros;
  return lastMicros;
}
