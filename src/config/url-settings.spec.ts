import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidConfigError, loadConfig } from './config-loader';
import { urlProblem } from './url-settings';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof InvalidConfigError) return error.problems;
    throw error;
  }
  return [];
}

const SECRET = 'S3cret';

describe('URL settings parsed at boot (issue 21)', () => {
  it('accepts the URLs their clients accept', () => {
    expect(urlProblem('amqp://guest:guest@localhost:5672/')).toBeNull();
    expect(urlProblem('redis://:p%40ss@redis:6379/2')).toBeNull();
    expect(urlProblem('https://collector:4318/v1/traces')).toBeNull();
    expect(
      problemsOf({
        AMQP_URL: 'amqp://a:b@one:5672/,amqps://a:b@two/',
        REDIS_URL: 'rediss://:p%40ss@redis',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      }),
    ).toEqual([]);
  });

  it.each([
    ['REDIS_URL', 'redis://:S3cret@@host:x', /^REDIS_URL: does not parse as a URL .* \(got "redis:\/\/:\*\*\*@host:x"\)$/],
    ['AMQP_URL', 'amqp://u:S3cret@[bad', /^AMQP_URL \(amqp_url\): does not parse as a URL .* \(got "amqp:\/\/u:\*\*\*@\[bad"\)$/],
    [
      'OTEL_EXPORTER_OTLP_ENDPOINT',
      'http://u:S3cret@host:99999/',
      /^OTEL_EXPORTER_OTLP_ENDPOINT: does not parse as a URL .*\(got "http:\/\/u:\*\*\*@host:99999\/"\)$/,
    ],
    ['REDIS_URL', 'redis://:S3cret@', /^REDIS_URL: (does not parse as a URL|has no host)/],
  ])('%s=%s: one line naming the setting, redacted', (name, value, line) => {
    const problems = problemsOf({ [name]: value });
    expect(problems).toEqual([expect.stringMatching(line)]);
    expect(problems.join('\n')).not.toContain(SECRET);
  });

  it('names the AMQP_URL node that does not parse', () => {
    const problems = problemsOf({ AMQP_URL: 'amqp://a:b@one/,amqp://u:S3cret@[bad' });
    expect(problems).toEqual([expect.stringMatching(/^AMQP_URL \(amqp_url\) node 2: does not parse/)]);
    expect(problems.join('\n')).not.toContain(SECRET);
  });

  it('leaves a wrong scheme to the validators: one line, not two', () => {
    expect(problemsOf({ REDIS_URL: 'http://:S3cret@host' })).toEqual([
      expect.stringMatching(/^REDIS_URL: must be a redis:\/\/ or rediss:\/\/ URL/),
    ]);
  });
});

describe('CALLERS errors show no hash and no raw text (issue 21)', () => {
  const hash = `scrypt$${SECRET}`;

  it('does not echo a CALLERS that is not JSON', () => {
    const problems = problemsOf({ CALLERS: `[{"username":"x","password_hash":"${hash}"` });
    expect(problems).toEqual(['CALLERS: must be a JSON array of callers (the value is not shown: it holds password hashes)']);
  });

  it('does not echo a CALLERS that is JSON but not a list', () => {
    const problems = problemsOf({ CALLERS: JSON.stringify({ username: 'x', password_hash: hash }) });
    expect(problems).toEqual(['CALLERS: must be a JSON array of callers (the value is not shown: it holds password hashes)']);
  });

  it('names the entry (index and user name) and the field of a bad hash, never the hash', () => {
    const problems = problemsOf({ CALLERS: JSON.stringify([{ username: 'x', password_hash: hash }]) });
    expect(problems).toEqual([expect.stringMatching(/^CALLERS entry 1 \(x\): password_hash /)]);
    expect(problems.join('\n')).not.toContain(SECRET);
  });

  it('does not echo a WEB_PASSWORD of the wrong type', () => {
    const dir = mkdtempSync(join(tmpdir(), 'url-settings-'));
    try {
      writeFileSync(join(dir, 'vumi.yaml'), 'web_username: u\nweb_password: 987654321\n');
      const problems = problemsOf({ CONFIG_FILE: join(dir, 'vumi.yaml') });
      expect(problems).toEqual(['WEB_PASSWORD (web_password): must be a string']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
