import { InvalidConfigError, loadConfig } from '../../config/config-loader';
import { isManagementPath } from './management-listener';

describe('MANAGEMENT_PORT', () => {
  it('is unset by default and reads a port', () => {
    expect(loadConfig({}).managementPort).toBeUndefined();
    expect(loadConfig({ MANAGEMENT_PORT: '9464' }).managementPort).toBe(9464);
    expect(loadConfig({ MANAGEMENT_PORT: '0', WEB_PORT: '0' }).managementPort).toBe(0);
  });

  it.each([
    [{ MANAGEMENT_PORT: '8080' }, /^MANAGEMENT_PORT: must differ from WEB_PORT/],
    [{ MANAGEMENT_PORT: '70000' }, /^MANAGEMENT_PORT: must not be greater than 65535/],
    [{ MANAGEMENT_PORT: 'nine' }, /^MANAGEMENT_PORT: must be an integer/],
  ])('refuses %j at boot in one line', (env, line) => {
    expect(() => loadConfig(env)).toThrow(InvalidConfigError);
    try {
      loadConfig(env);
    } catch (error) {
      expect((error as InvalidConfigError).problems).toEqual([expect.stringMatching(line)]);
    }
  });
});

describe('isManagementPath', () => {
  const config = loadConfig({ MANAGEMENT_PORT: '9464', METRICS_PATH: 'stats', DOCS_PATH: '/api-docs' });

  it.each(['/stats', '/api-docs', '/api-docs/', '/api-docs/swagger-ui.css', '/api-docs-json', '/api-docs-yaml'])('takes %s', (path) => {
    expect(isManagementPath(config, path)).toBe(true);
  });

  it.each(['/http_api', '/health', '/health/live', '/health/ready', '/statsx', '/api-docsx', '/'])('leaves %s to the API port', (path) => {
    expect(isManagementPath(config, path)).toBe(false);
  });

  it('takes nothing that is switched off', () => {
    const off = loadConfig({ MANAGEMENT_PORT: '9464', METRICS_ENABLED: 'false', DOCS_ENABLED: 'false' });
    expect(isManagementPath(off, '/metrics')).toBe(false);
    expect(isManagementPath(off, '/docs')).toBe(false);
  });
});
