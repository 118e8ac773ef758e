import { Logger } from '@nestjs/common';
import { AuthEvents } from './auth-events';
import { AuthFailureLog, LOG_EVERY_MS } from './auth-failure-log';

describe('AuthFailureLog', () => {
  afterEach(() => jest.restoreAllMocks());

  function logWith() {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const events = new AuthEvents();
    const log = new AuthFailureLog(events);
    const clock = { now: 1_000_000 };
    log.clock = () => clock.now;
    log.onModuleInit();
    return { warn, events, clock };
  }

  it('logs one line per period with the address and the name, counting the rest, never a password', () => {
    const { warn, events, clock } = logWith();
    for (let i = 0; i < 50; i++) events.failed({ reason: 'wrong_password', address: '198.51.100.7', username: 'shop' });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][0]).toMatchObject({
      msg: 'Failed authentication (wrong_password) for user "shop" from 198.51.100.7',
      client_address: '198.51.100.7',
      username: 'shop',
    });
    clock.now += LOG_EVERY_MS;
    events.failed({ reason: 'throttled', address: '198.51.100.8', username: 'bank' });
    expect(warn).toHaveBeenCalledTimes(2);
    expect((warn.mock.calls[1][0] as { msg: string }).msg).toMatch(/\(throttled\) for user "bank" from 198\.51\.100\.8 \(and 49 more/);
  });

  it('does not log a missing header (the first step of a challenge), and quotes and cuts a hostile name', () => {
    const { warn, events } = logWith();
    events.failed({ reason: 'missing', address: '198.51.100.7' });
    expect(warn).not.toHaveBeenCalled();
    events.failed({ reason: 'unknown_user', address: '198.51.100.7', username: `evil"\n${'x'.repeat(500)}` });
    const line = warn.mock.calls[0][0] as { msg: string; username: string };
    expect(line.msg).toContain('user "evil\\"\\nxxx');
    expect(line.msg).not.toContain('\n');
    expect(line.username).toHaveLength(64);
  });
});
