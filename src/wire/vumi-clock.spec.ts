import { formatVumiTimestamp } from './vumi-timestamp';

/** Fresh module state per test: the clock keeps its last reading in the module. */
function freshClock(): () => number {
  let nowMicros: () => number = () => 0;
  jest.isolateModules(() => {
    nowMicros = jest.requireActual<typeof import('./vumi-clock')>('./vumi-clock').nowMicros;
  });
  return nowMicros;
}

afterEach(() => jest.restoreAllMocks());

describe('nowMicros (the clock of every Vumi timestamp)', () => {
  it('is UTC wall time: within a few milliseconds of Date.now()', () => {
    const nowMicros = freshClock();
    const before = Date.now();
    const micros = nowMicros();
    const after = Date.now();
    // Generous: Date.now() truncates to the millisecond, the clock does not.
    expect(micros).toBeGreaterThanOrEqual(before * 1000 - 1000);
    expect(micros).toBeLessThanOrEqual(after * 1000 + 1000);
  });

  it('has real microseconds, not padded milliseconds', () => {
    const nowMicros = freshClock();
    // 200 readings all on a whole millisecond would mean a millisecond clock (chance: 1e-600).
    const readings = Array.from({ length: 200 }, () => nowMicros());
    expect(readings.some((micros) => micros % 1000 !== 0)).toBe(true);
    expect(readings.map((micros) => formatVumiTimestamp(micros)).some((text) => !text.endsWith('000'))).toBe(true);
  });

  it('never goes backwards, even when the wall clock is stepped back', () => {
    const nowMicros = freshClock();
    const first = nowMicros();
    // NTP steps the wall clock back by an hour: the clock re-anchors but holds its last reading.
    const realNow = Date.now.bind(Date);
    jest.spyOn(Date, 'now').mockImplementation(() => realNow() - 3_600_000);
    const readings = Array.from({ length: 1000 }, () => nowMicros());
    let previous = first;
    for (const micros of readings) {
      expect(micros).toBeGreaterThanOrEqual(previous);
      previous = micros;
    }
    expect(readings[readings.length - 1]).toBe(first);
  });

  it('follows the wall clock when it is stepped forward (drift corrected)', () => {
    const nowMicros = freshClock();
    const realNow = Date.now.bind(Date);
    jest.spyOn(Date, 'now').mockImplementation(() => realNow() + 5000);
    const micros = nowMicros();
    expect(micros).toBeGreaterThanOrEqual((realNow() + 5000 - 10) * 1000);
  });
});
