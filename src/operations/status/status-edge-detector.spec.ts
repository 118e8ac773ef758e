import { StatusEdgeDetector } from './status-edge-detector';

describe('StatusEdgeDetector', () => {
  it('publishes the first status of a component', () => {
    const detector = new StatusEdgeDetector();
    expect(detector.status).toBeNull();
    expect(detector.record('ok', 'response_sent')).toBe(true);
    expect(detector.status).toBe('ok');
  });

  it('skips repeats of the same status and type', () => {
    const detector = new StatusEdgeDetector();
    detector.record('degraded', 'slow_response');
    expect(detector.record('degraded', 'slow_response')).toBe(false);
    expect(detector.record('degraded', 'slow_response')).toBe(false);
  });

  it('publishes every change of status, and a return to an earlier one', () => {
    const detector = new StatusEdgeDetector();
    const sequence: Array<[Parameters<StatusEdgeDetector['record']>[0], string]> = [
      ['ok', 'response_sent'],
      ['degraded', 'slow_response'],
      ['ok', 'response_sent'],
      ['down', 'timeout'],
      ['ok', 'response_sent'],
    ];
    expect(sequence.map(([status, type]) => detector.record(status, type))).toEqual([true, true, true, true, true]);
  });

  it('publishes a type not yet seen in the current status, once', () => {
    const detector = new StatusEdgeDetector();
    expect(detector.record('down', 'timeout')).toBe(true);
    expect(detector.record('down', 'very_slow_response')).toBe(true);
    expect(detector.record('down', 'timeout')).toBe(false);
    expect(detector.record('down', 'very_slow_response')).toBe(false);
  });

  it('forgets the types seen once the status changes', () => {
    const detector = new StatusEdgeDetector();
    detector.record('down', 'timeout');
    detector.record('down', 'very_slow_response');
    detector.record('ok', 'response_sent');
    expect(detector.record('down', 'very_slow_response')).toBe(true);
    expect(detector.record('down', 'timeout')).toBe(true);
  });
});
