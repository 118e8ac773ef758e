import { ExecutionContext } from '@nestjs/common';
import { loadConfig } from '../config/config-loader';
import { BasicAuthGuard } from './basic-auth.guard';
import { UnauthorizedError } from './http-api.errors';

function guardFor(env: Record<string, string> = {}): BasicAuthGuard {
  return new BasicAuthGuard(loadConfig({ INSTANCE_ID: 'unit', ...env }));
}

/** The slice of an ExecutionContext the guard reads. */
function contextWith(authorization?: string): ExecutionContext {
  const request = { headers: authorization === undefined ? {} : { authorization } };
  return { switchToHttp: () => ({ getRequest: () => request }) } as unknown as ExecutionContext;
}

const basic = (credentials: string) => `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`;

describe('BasicAuthGuard', () => {
  it('lets every request through when WEB_USERNAME is unset', () => {
    const guard = guardFor();
    expect(guard.canActivate(contextWith())).toBe(true);
    expect(guard.canActivate(contextWith('Basic garbage'))).toBe(true);
  });

  describe('with WEB_USERNAME and WEB_PASSWORD', () => {
    const guard = guardFor({ WEB_USERNAME: 'user', WEB_PASSWORD: 'p:ss wörd' });

    it('accepts the right credentials (a password may hold ":" and non-ASCII)', () => {
      expect(guard.canActivate(contextWith(basic('user:p:ss wörd')))).toBe(true);
    });

    it('accepts the scheme in any case and extra spaces around the credentials', () => {
      const token = Buffer.from('user:p:ss wörd').toString('base64');
      expect(guard.canActivate(contextWith(`basic ${token}`))).toBe(true);
      expect(guard.canActivate(contextWith(`BASIC   ${token}  `))).toBe(true);
    });

    it.each([
      ['no Authorization header', undefined],
      ['a wrong password', basic('user:wrong')],
      ['a wrong user', basic('admin:p:ss wörd')],
      ['a password prefix', basic('user:p:ss')],
      ['the password with a suffix', basic('user:p:ss wördx')],
      ['no password', basic('user')],
      ['empty credentials', 'Basic '],
      ['the scheme alone', 'Basic'],
      ['another scheme', `Bearer ${Buffer.from('user:p:ss wörd').toString('base64')}`],
      ['credentials without a scheme', Buffer.from('user:p:ss wörd').toString('base64')],
      ['credentials not base64-encoded', 'Basic user:p:ss wörd'],
      ['garbage', 'Basic !!!%%%***'],
      ['an empty header', ''],
    ])('refuses %s with UnauthorizedError', (_, header) => {
      expect(() => guard.canActivate(contextWith(header))).toThrow(UnauthorizedError);
    });
  });
});
