import { rateLimitHeaders } from './rate-limit-headers';
import { decide } from './token-bucket';

describe('rateLimitHeaders', () => {
  it('writes the current draft fields: quota = burst, window = time to refill it, r and t', () => {
    expect(rateLimitHeaders(decide({ rate: 2, burst: 10 }, 7.5, true))).toEqual({
      'RateLimit-Policy': '"default";q=10;w=5',
      RateLimit: '"default";r=7;t=2',
    });
  });

  it('never advertises a window under one second', () => {
    expect(rateLimitHeaders(decide({ rate: 100, burst: 10 }, 10, true))['RateLimit-Policy']).toBe('"default";q=10;w=1');
  });

  it('reports an empty bucket with the time until it is full', () => {
    expect(rateLimitHeaders(decide({ rate: 0.5, burst: 2 }, 0.5, false)).RateLimit).toBe('"default";r=0;t=3');
  });
});
