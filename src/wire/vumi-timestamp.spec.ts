import fc from 'fast-check';
import { formatVumiTimestamp, parseVumiTimestamp } from './vumi-timestamp';

const VUMI_FORMAT = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$/;

describe('formatVumiTimestamp', () => {
  it('writes UTC as %Y-%m-%d %H:%M:%S.%f: six fraction digits, a space, no zone', () => {
    expect(formatVumiTimestamp(new Date('2026-11-27T10:27:54.123Z'))).toBe('2026-11-27 10:27:54.123000');
    expect(formatVumiTimestamp(new Date('2026-01-02T03:04:05.006Z'))).toBe('2026-01-02 03:04:05.006000');
    expect(formatVumiTimestamp(new Date('2026-01-02T00:00:00Z'))).toBe('2026-01-02 00:00:00.000000');
  });

  it('writes UTC whatever the zone the date was made in', () => {
    expect(formatVumiTimestamp(new Date('2026-06-30T23:59:59.999-05:00'))).toBe('2026-07-01 04:59:59.999000');
  });

  it('writes microseconds given as a number, zero-padded', () => {
    const micros = Date.parse('2026-11-27T10:27:54.123Z') * 1000 + 456;
    expect(formatVumiTimestamp(micros)).toBe('2026-11-27 10:27:54.123456');
    expect(formatVumiTimestamp(micros - 450)).toBe('2026-11-27 10:27:54.123006');
    expect(formatVumiTimestamp(Date.parse('2026-01-02T00:00:00Z') * 1000 + 7)).toBe('2026-01-02 00:00:00.000007');
  });

  it('writes any microsecond count as the Date of its millisecond plus its last three digits (cached per second)', () => {
    const reference = (micros: number) => {
      const ms = Math.floor(micros / 1000);
      const iso = new Date(ms).toISOString();
      return `${iso.slice(0, 10)} ${iso.slice(11, 23)}${String(micros - ms * 1000).padStart(3, '0')}`;
    };
    // Up to the year 2255: beyond it microseconds are no longer exact integers (nowMicros stays far below).
    const micros = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER - 2_000_000 });
    // Runs of the same second and jumps between seconds, as a busy and an idle clock give them.
    const nearby = fc.tuple(micros, fc.array(fc.integer({ min: -2_000_000, max: 2_000_000 }), { maxLength: 8 }));
    fc.assert(
      fc.property(nearby, ([start, steps]) => {
        for (const at of [start, ...steps.map((step) => Math.max(0, start + step))]) expect(formatVumiTimestamp(at)).toBe(reference(at));
      }),
      { numRuns: 2000 },
    );
  });

  it('writes now by default', () => {
    const before = Date.now();
    const text = formatVumiTimestamp();
    const after = Date.now();
    expect(text).toMatch(VUMI_FORMAT);
    const read = parseVumiTimestamp(text)!.getTime();
    expect(read).toBeGreaterThanOrEqual(before);
    expect(read).toBeLessThanOrEqual(after);
  });

  it('always matches the format and reads back to the same millisecond', () => {
    const dates = fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true });
    fc.assert(
      fc.property(dates, (date) => {
        const text = formatVumiTimestamp(date);
        expect(text).toMatch(VUMI_FORMAT);
        expect(parseVumiTimestamp(text)?.getTime()).toBe(date.getTime());
      }),
    );
  });
});

describe('parseVumiTimestamp', () => {
  it.each([
    ['2026-11-27 10:27:54.123456', '2026-11-27T10:27:54.123Z'],
    ['2026-11-27 10:27:54', '2026-11-27T10:27:54.000Z'],
    ['2026-11-27 10:27:54.5', '2026-11-27T10:27:54.500Z'],
    ['2026-11-27 10:27:54.123456Z', '2026-11-27T10:27:54.123Z'],
    ['2026-11-27T10:27:54.123456', '2026-11-27T10:27:54.123Z'],
    ['2026-11-27T10:27:54Z', '2026-11-27T10:27:54.000Z'],
  ])('reads %p as UTC', (text, iso) => {
    expect(parseVumiTimestamp(text)?.toISOString()).toBe(iso);
  });

  it.each([
    '',
    'yesterday',
    '2026-11-27',
    '2026-11-27 10:27',
    '2026-11-27 10:27:54.1234567',
    '2026-11-27 10:27:54+02:00',
    ' 2026-11-27 10:27:54',
    '2026-13-01 00:00:00',
    '2026-02-30 00:00:00',
    '2026-11-27 24:00:00',
    '2026-11-27 10:60:00',
    '2026-11-27 10:27:61',
  ])('refuses %p', (text) => {
    expect(parseVumiTimestamp(text)).toBeNull();
  });
});
