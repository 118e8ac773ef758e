import { nowMicros } from './vumi-clock';

const MICROS_PER_MS = 1000;

/**
 * Vumi's timestamp: UTC `%Y-%m-%d %H:%M:%S.%f` (six digits of microseconds,
 * a space, no zone). Takes microseconds since the epoch (now, from the
 * microsecond clock, by default) or a Date (whose last three digits are 0).
 */
export function formatVumiTimestamp(at: Date | number = nowMicros()): string {
  // A Date stays in milliseconds: microseconds past the year 2255 exceed a double's exact integers.
  const ms = typeof at === 'number' ? Math.floor(at / MICROS_PER_MS) : at.getTime();
  const sub = typeof at === 'number' ? String(at - ms * MICROS_PER_MS).padStart(3, '0') : '000';
  const iso = new Date(ms).toISOString(); // 2026-11-27T10:27:54.123Z
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}${sub}`;
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
