/**
 * Vumi's timestamp: UTC `%Y-%m-%d %H:%M:%S.%f` (six digits of microseconds,
 * a space, no zone). JavaScript clocks have milliseconds, so the last three
 * digits are zero.
 */
export function formatVumiTimestamp(date: Date = new Date()): string {
  const iso = date.toISOString(); // 2026-11-27T10:27:54.123Z
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}000`;
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
