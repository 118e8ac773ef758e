import { BodyBudget } from './body-budget';

describe('BodyBudget', () => {
  const budget = () => new BodyBudget({ bodyBudget: 100, bodyBudgetPerAddress: 60 });

  it('refuses a body past the per-address budget, and another address still gets its share', () => {
    const b = budget();
    expect(b.reserve('a', 60)).not.toBeNull();
    expect(b.reserve('a', 1)).toBeNull();
    expect(b.reserve('b', 40)).not.toBeNull();
    expect(b.reserve('c', 1)).toBeNull(); // the total is spent
  });

  it('gives the bytes back once, however often released', () => {
    const b = budget();
    const first = b.reserve('a', 60)!;
    first.release();
    first.release();
    expect(b.inUse).toBe(0);
    expect(b.reserve('a', 60)).not.toBeNull();
    expect(b.inUse).toBe(60);
  });
});
