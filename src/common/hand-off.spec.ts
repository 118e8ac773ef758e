import { HandOff } from './hand-off';

describe('HandOff', () => {
  it('runs its listeners inside settle, in the order added, once', () => {
    const seen: string[] = [];
    const handOff = new HandOff<string>();
    handOff.onSettled((value) => seen.push(`a:${value}`));
    handOff.onSettled((value) => seen.push(`b:${value}`));
    handOff.settle('x');
    seen.push('settle returned');
    handOff.settle('y');
    expect(seen).toEqual(['a:x', 'b:x', 'settle returned']);
  });

  it('runs a listener added after the value arrived at once', () => {
    const handOff = new HandOff<number>();
    handOff.settle(1);
    const seen: number[] = [];
    handOff.onSettled((value) => seen.push(value));
    expect(seen).toEqual([1]);
  });

  it('maps once, in the same call', () => {
    const handOff = new HandOff<number>();
    const convert = jest.fn((value: number) => value * 2);
    const mapped = handOff.map(convert);
    const seen: number[] = [];
    mapped.onSettled((value) => seen.push(value));
    mapped.onSettled((value) => seen.push(value + 1));
    handOff.settle(2);
    expect(seen).toEqual([4, 5]);
    expect(convert).toHaveBeenCalledTimes(1);
  });

  it("keeps one listener's failure from the others and from the settler, and rejects with it", () => {
    // Recorded rather than left unhandled (it would fail the test run, as it would warn in production).
    const rejected = jest.spyOn(Promise, 'reject').mockImplementation(() => Promise.resolve());
    try {
      const handOff = new HandOff<string>();
      const seen: string[] = [];
      handOff.onSettled(() => {
        throw new Error('boom');
      });
      handOff.onSettled((value) => seen.push(value));
      expect(() => handOff.settle('x')).not.toThrow();
      expect(seen).toEqual(['x']);
      expect(rejected).toHaveBeenCalledWith(new Error('boom'));
    } finally {
      rejected.mockRestore();
    }
  });
});
