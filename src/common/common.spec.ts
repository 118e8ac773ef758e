import { Listeners } from './listeners';
import { ThrottledWarning, WARN_EVERY_MS } from './throttled-warning';

describe('ThrottledWarning', () => {
  it('is due once per period, the first time at once', () => {
    let now = 1_000;
    const warning = new ThrottledWarning(WARN_EVERY_MS, () => now);
    expect(warning.due()).toBe(true);
    expect(warning.due()).toBe(false);
    now += WARN_EVERY_MS - 1;
    expect(warning.due()).toBe(false);
    now += 1;
    expect(warning.due()).toBe(true);
    expect(warning.due()).toBe(false);
  });
});

describe('Listeners', () => {
  it('calls every listener, in the order added, with the arguments emitted', () => {
    const listeners = new Listeners<[string, number]>();
    const calls: string[] = [];
    listeners.emit('nobody', 0);
    listeners.add((name, n) => calls.push(`a:${name}:${n}`));
    listeners.add((name, n) => calls.push(`b:${name}:${n}`));
    listeners.emit('x', 1);
    expect(calls).toEqual(['a:x:1', 'b:x:1']);
    expect(listeners.size).toBe(2);
  });
});
