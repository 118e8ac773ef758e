import { nowMicros } from './vumi-clock';

const MICROS_PER_MS = 1000;

/**
 * Vumi's timestamp: UTC `%Y-%m-%d %H:%M:%S.%f` (six digits of microseconds,
 * a space, no zone). Takes microseconds since the epoch (now, from the
 * microsecond clock, by default) or a Date (whose last three digits are 0).
 */
export function formatVumiTimestamp(at: Date | number = nowMicros()): string {
  if (typeof at === 'number') return formatMicros(at);
  // A Date stays in milliseconds: microseconds past the year 2255 exceed a double's exact integers.
  const iso = at.toISOString(); // 2026-11-27T10:27:54.123Z
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}000`;
}

const MICROS_PER_SECOND = 1000 * MICROS_PER_MS;
/** `%Y-%m-%d %H:%M:%S.` of the second last written: every message of that second shares it. */
let cachedSecond = Number.NaN;
let cachedPrefix = '';

/** One Date and its ISO text per second, not per message: the rest is the six digits of the fraction. */
function formatMicros(micros: number): string {
  const second = Math.floor(micros / MICROS_PER_SECOND);
  if (second !== cachedSecond) {
    const iso = new Date(second * 1000).toISOString();
    cachedPrefix = `${iso.slice(0, 10)} ${iso.slice(11, 19)}.`;
    cachedSecond = second;
  }
  const fraction = micros - second * MICROS_PER_SECOND;
  return cachedPrefix + (fraction >= 100_000 ? String(fraction) : String(fraction).padStart(6, '0'));
}

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?Z?$/;

/** Reads Vumi's format, also without the fraction or with vumi2's trailing `Z`. */
export function parseVumiTimestamp(text: string): Date | null {
  const m = TIMESTAMP.exec(text);
  if (!m) return null;
  const millis = m[7] ? Number(m[7].padEnd(6, '0').slice(0, 3)) : 0;
  const date = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], millis));
  // Date.UTC rolls over (month 13, Feb 30, 24:00): such text is not a timestamp.
  const rolledOver =
    date.getUTCFullYear() !== +m[1] ||
    date.getUTCMonth() !== +m[2] - 1 ||
    date.getUTCDate() !== +m[3] ||
    date.getUTCHours() !== +m[4] ||
    date.getUTCMinutes() !== +m[5] ||
    date.getUTCSeconds() !== +m[6];
  return Number.isNaN(date.getTime()) || rolledOver ? null : date;
}
