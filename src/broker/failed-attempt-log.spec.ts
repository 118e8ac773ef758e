import { LoggerService } from '@nestjs/common';
import { FailedAttemptLog } from './failed-attempt-log';

function recorder(): { logger: LoggerService; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = { log: () => undefined, error: () => undefined, warn: (line: Record<string, unknown>) => lines.push(line) };
  return { logger, lines };
}

describe('FailedAttemptLog', () => {
  it('logs the first attempt on each node at once, then one line per node and period with the attempts skipped', () => {
    let now = 0;
    const { logger, lines } = recorder();
    const log = new FailedAttemptLog(logger, 'publish', 10_000, () => now);
    log.failed('a:5672', 'connect ECONNREFUSED');
    log.failed('b:5672', 'connect ECONNREFUSED');
    now += 2_000;
    log.failed('a:5672', 'connect ECONNREFUSED');
    log.failed('b:5672', 'connect ECONNREFUSED');
    expect(lines.map((line) => line.node)).toEqual(['a:5672', 'b:5672']);
    now += 8_000;
    log.failed('a:5672', 'connect ECONNREFUSED');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatchObject({ node: 'a:5672', role: 'publish', error: 'connect ECONNREFUSED', attempt: 5 });
    expect(lines[2].msg).toBe(
      'Cannot reach the broker node a:5672: connect ECONNREFUSED; attempt 5 (1 more failed attempt on it since the last line), trying again',
    );
  });

  it('starts afresh after a connection', () => {
    let now = 0;
    const { logger, lines } = recorder();
    const log = new FailedAttemptLog(logger, 'consume', 10_000, () => now);
    log.failed('a:5672', 'timeout');
    log.reset();
    now += 1;
    log.failed('a:5672', 'timeout');
    expect(lines.map((line) => line.attempt)).toEqual([1, 1]);
  });
});
