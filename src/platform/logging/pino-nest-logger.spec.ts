import { Logger } from '@nestjs/common';
import pino from 'pino';
import { PinoNestLogger } from './pino-nest-logger';
import { stringContaining } from '../../../test/support/matchers';

/** A PinoNestLogger writing into an array, as Nest's Logger facade calls it. */
function capture(level = 'info') {
  const lines: Array<Record<string, unknown>> = [];
  const root = pino(
    { level, base: undefined, timestamp: false },
    { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  const nest = new PinoNestLogger(root);
  Logger.overrideLogger(nest);
  return { lines, logger: new Logger('Ctx') };
}

describe('PinoNestLogger', () => {
  afterEach(() => {
    Logger.overrideLogger(false);
  });

  it('writes text with its context, and objects as fields with their msg', () => {
    const { lines, logger } = capture();
    logger.log('hello');
    logger.warn({ msg: 'Timing out 555', message_id: 'abc', request_id: 'r1' });
    expect(lines).toEqual([
      { level: 30, context: 'Ctx', msg: 'hello' },
      { level: 40, context: 'Ctx', msg: 'Timing out 555', message_id: 'abc', request_id: 'r1' },
    ]);
  });

  it('keeps errors and stacks', () => {
    const { lines, logger } = capture();
    logger.error(new Error('boom'));
    logger.error('failed', 'Error: failed\n    at somewhere (file.ts:1:1)');
    expect(lines[0]).toMatchObject({ level: 50, context: 'Ctx', msg: 'boom', err: { message: 'boom', type: 'Error' } });
    expect(lines[1]).toMatchObject({ level: 50, context: 'Ctx', msg: 'failed', stack: stringContaining('at somewhere') });
  });

  it('drops disabled levels; verbose is trace', () => {
    const { lines, logger } = capture('info');
    logger.debug({ msg: 'not written' });
    logger.verbose('not written either');
    expect(lines).toEqual([]);
    const traced = capture('trace');
    traced.logger.verbose('written');
    expect(traced.lines).toEqual([{ level: 10, context: 'Ctx', msg: 'written' }]);
  });
});
