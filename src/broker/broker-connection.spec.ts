import { combinedState } from './broker-connection';

describe('combinedState', () => {
  it.each([
    ['connected', 'connected', 'connected'],
    ['blocked', 'connected', 'blocked'],
    // A consuming connection the broker blocks still delivers and acks: ready.
    ['connected', 'blocked', 'connected'],
    ['connected', 'disconnected', 'disconnected'],
    ['disconnected', 'connected', 'disconnected'],
    ['blocked', 'disconnected', 'disconnected'],
    ['connecting', 'connected', 'connecting'],
    ['connected', 'connecting', 'connecting'],
    ['closed', 'connected', 'closed'],
    ['disconnected', 'closed', 'closed'],
  ] as const)('publish %s + consume %s = %s', (publish, consume, expected) => {
    expect(combinedState(publish, consume)).toBe(expected);
  });
});
