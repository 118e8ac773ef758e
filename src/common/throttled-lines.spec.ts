import { suppressedNote, ThrottledLines } from './throttled-lines';

describe('ThrottledLines', () => {
  it('writes one line per period, tells the next line how many were left out, and reports each one left out', () => {
    const clock = { now: 0 };
    const lines = new ThrottledLines('outbound_malformed', 10_000, () => clock.now);
    const written: number[] = [];
    const suppressed: string[] = [];
    lines.onSuppressed((kind) => suppressed.push(kind));
    for (let i = 0; i < 2000; i++) lines.write((since) => written.push(since));
    expect(written).toEqual([0]);
    expect(suppressed).toHaveLength(1999);
    expect(suppressed[0]).toBe('outbound_malformed');
    clock.now = 10_000;
    lines.write((since) => written.push(since));
    expect(written).toEqual([0, 1999]);
    clock.now = 20_000;
    lines.write((since) => written.push(since));
    expect(written).toEqual([0, 1999, 0]);
  });

  it('words the note', () => {
    expect(suppressedNote(0, 'nacks')).toBe('');
    expect(suppressedNote(3, 'nacks')).toBe(' (and 3 more nacks since the last line)');
  });
});
