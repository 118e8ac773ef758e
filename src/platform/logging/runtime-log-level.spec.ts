import pino from 'pino';
import { loadConfig } from '../../config/config-loader';
import { RuntimeLogLevel } from './runtime-log-level';

function setUp(env: Record<string, string>) {
  const lines: Array<Record<string, unknown>> = [];
  const config = loadConfig(env);
  const root = pino(
    { level: config.logLevel, base: undefined, timestamp: false },
    { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  return { lines, root, levels: new RuntimeLogLevel(config, root) };
}

describe('RuntimeLogLevel', () => {
  it('cycles LOG_LEVEL → debug → trace → LOG_LEVEL, saying so each time', () => {
    const { lines, root, levels } = setUp({ LOG_LEVEL: 'info' });
    expect([levels.next(), levels.next(), levels.next(), levels.next()]).toEqual(['debug', 'trace', 'info', 'debug']);
    expect(root.level).toBe('debug');
    expect(lines.map((line) => line.msg)).toEqual([
      'Log level debug after SIGUSR2; next: trace',
      'Log level trace after SIGUSR2; next: info',
      'Log level info (LOG_LEVEL) after SIGUSR2; next: debug',
      'Log level debug after SIGUSR2; next: trace',
    ]);
    expect(lines[0]).toMatchObject({ level: 40, log_level: 'debug', previous_log_level: 'info' });
  });

  it('skips the levels that are not more verbose than LOG_LEVEL', () => {
    const { levels } = setUp({ LOG_LEVEL: 'debug' });
    expect([levels.next(), levels.next()]).toEqual(['trace', 'debug']);
    const trace = setUp({ LOG_LEVEL: 'trace' }).levels;
    expect([trace.next(), trace.next()]).toEqual(['trace', 'trace']);
  });

  it('from a quiet LOG_LEVEL (error) the change is still visible once debug is on', () => {
    const { lines, levels } = setUp({ LOG_LEVEL: 'error' });
    levels.next();
    expect(lines).toEqual([expect.objectContaining({ msg: 'Log level debug after SIGUSR2; next: trace' })]);
  });
});
