import { classifyResponse, classifyTimeout, ResponseTimeThresholds } from './response-time-classifier';

const thresholds: ResponseTimeThresholds = { degradedSeconds: 1, downSeconds: 10, requestTimeoutSeconds: 240 };

describe('classifyResponse', () => {
  it('is ok up to and including response_time_degraded', () => {
    for (const seconds of [0, 0.5, 1]) {
      expect(classifyResponse(seconds, thresholds)).toEqual({
        status: 'ok',
        type: 'response_sent',
        message: 'Response sent',
        reasons: [],
        details: { response_time: seconds },
      });
    }
  });

  it('is degraded above response_time_degraded, up to and including response_time_down', () => {
    for (const seconds of [1.001, 5, 10]) {
      expect(classifyResponse(seconds, thresholds)).toEqual({
        status: 'degraded',
        type: 'slow_response',
        message: 'Slow response',
        reasons: ['Response took longer than 1s'],
        details: { response_time: seconds },
      });
    }
  });

  it('is down above response_time_down', () => {
    expect(classifyResponse(10.5, thresholds)).toEqual({
      status: 'down',
      type: 'very_slow_response',
      message: 'Very slow response',
      reasons: ['Response took longer than 10s'],
      details: { response_time: 10.5 },
    });
  });

  it('writes fractional thresholds as configured', () => {
    const fractional = { ...thresholds, degradedSeconds: 0.2, downSeconds: 2.5 };
    expect(classifyResponse(0.4, fractional).reasons).toEqual(['Response took longer than 0.2s']);
    expect(classifyResponse(3, fractional).reasons).toEqual(['Response took longer than 2.5s']);
  });
});

describe('classifyTimeout', () => {
  it('is down/timeout, naming request_timeout', () => {
    expect(classifyTimeout(241.2, thresholds)).toEqual({
      status: 'down',
      type: 'timeout',
      message: 'Response timed out',
      reasons: ['Response took longer than 240s'],
      details: { response_time: 241.2 },
    });
  });
});
