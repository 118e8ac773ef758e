import { loadConfig } from '../../config/config-loader';
import { redisConfigured, redisConnectionOptions } from './redis-connection-options';

describe('redisConnectionOptions', () => {
  it('is unused without REDIS_URL and REDIS_SENTINELS', () => {
    expect(redisConfigured(loadConfig({}))).toBe(false);
    expect(redisConfigured(loadConfig({ REDIS_SENTINELS: 'a:26379' }))).toBe(true);
  });

  it('takes host, port, credentials and database from REDIS_URL; REDIS_PASSWORD wins', () => {
    expect(redisConnectionOptions(loadConfig({ REDIS_URL: 'redis://u:p%40ss@redis.example:6380/3' }))).toEqual({
      host: 'redis.example',
      port: 6380,
      username: 'u',
      password: 'p@ss',
      db: 3,
    });
    expect(redisConnectionOptions(loadConfig({ REDIS_URL: 'rediss://:old@r:6379', REDIS_PASSWORD: 'new' }))).toEqual({
      host: 'r',
      port: 6379,
      password: 'new',
      tls: {},
    });
  });

  it('connects through the sentinels to the named master, with both passwords', () => {
    const options = redisConnectionOptions(
      loadConfig({
        REDIS_SENTINELS: 's1:26379,10.0.0.2:26380',
        REDIS_MASTER_NAME: 'vumi',
        REDIS_URL: 'redis://:data@ignored:1/2',
        REDIS_SENTINEL_PASSWORD: 'sentinel',
      }),
    );
    expect(options).toMatchObject({
      sentinels: [
        { host: 's1', port: 26379 },
        { host: '10.0.0.2', port: 26380 },
      ],
      name: 'vumi',
      password: 'data',
      db: 2,
      sentinelPassword: 'sentinel',
      failoverDetector: true,
    });
    expect(options).not.toHaveProperty('host');
    expect(options.reconnectOnError!(new Error("READONLY You can't write against a read only replica."))).toBe(true);
    expect(options.reconnectOnError!(new Error('ERR other'))).toBe(false);
  });

  it('refuses a sentinel that is not host:port', () => {
    expect(() => loadConfig({ REDIS_SENTINELS: 's1' })).toThrow(/REDIS_SENTINELS/);
  });
});
