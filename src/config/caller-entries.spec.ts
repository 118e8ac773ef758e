import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidConfigError, loadConfig } from './config-loader';
import { readCallerList } from './caller-entries';

const SCRYPT = 'scrypt$1024$8$1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==';
const BCRYPT = '$2b$04$K7oyJMWBI3PSit5IlaivcOMVFdGs3k.PeA3Se44I1U7fK5RQ9dKFu';

describe('readCallerList', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'caller-list-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function file(name: string, text: string): string {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  }

  it('reads a YAML file with a callers list, then the CALLERS variable', () => {
    const callersFile = file(
      'ok.yaml',
      `callers:\n  - username: shop\n    password_hash: "${SCRYPT}"\n    rate_limit: { rate: 5, burst: 20 }\n    field_defaults: { from_addr: "1234" }\n`,
    );
    const list = readCallerList({ callersFile, callers: [{ username: 'bank', password_hash: BCRYPT, rate_limit: { rate: 2.5 } }] });
    expect(list.problems).toEqual([]);
    expect(list.entries).toEqual([
      { username: 'shop', passwordHash: SCRYPT, rateLimit: { rate: 5, burst: 20 }, fieldDefaults: { from_addr: '1234' } },
      // burst defaults to the rate rounded up
      { username: 'bank', passwordHash: BCRYPT, rateLimit: { rate: 2.5, burst: 3 }, fieldDefaults: undefined },
    ]);
  });

  it('reads a JSON file holding a bare list', () => {
    const callersFile = file('list.json', JSON.stringify([{ username: 'a', password_hash: BCRYPT }]));
    expect(readCallerList({ callersFile }).entries.map((e) => e.username)).toEqual(['a']);
  });

  it('names every problem, one line each', () => {
    const { problems, entries } = readCallerList({
      webUsername: 'ops',
      callers: [
        { username: 'ops', password_hash: BCRYPT },
        { username: 'a:b', password_hash: BCRYPT },
        { username: 'c', password_hash: 'plain' },
        { username: 'd', password_hash: BCRYPT, rate_limit: { rate: 0 } },
        { username: 'e', password_hash: BCRYPT, rate_limit: { rate: 1, burst: 0.5 } },
        { username: 'f', password_hash: BCRYPT, field_defaults: { from_addr: 5 } },
        { username: 'g', password_hash: BCRYPT },
        { username: 'g', password_hash: BCRYPT },
        'not a mapping',
        { username: 'h', password_hash: BCRYPT, field_defaults: { session_event: 'start' } },
      ],
    });
    expect(entries.map((e) => e.username)).toEqual(['g']);
    expect(problems).toEqual([
      expect.stringMatching(/^CALLERS entry 1: username "ops" is already taken/),
      expect.stringMatching(/^CALLERS entry 2: username must be a non-empty string without ":"/),
      expect.stringMatching(/^CALLERS entry 3 \(c\): password_hash must be an scrypt/),
      expect.stringMatching(/^CALLERS entry 4 \(d\): rate_limit.rate must be/),
      expect.stringMatching(/^CALLERS entry 5 \(e\): rate_limit.burst must be/),
      expect.stringMatching(/^CALLERS entry 6 \(f\): field_defaults.from_addr must be a string/),
      expect.stringMatching(/^CALLERS entry 8: username "g" is already taken/),
      expect.stringMatching(/^CALLERS entry 9: must be a mapping/),
      expect.stringMatching(/^CALLERS entry 10 \(h\): field_defaults.session_event must be new, resume or close/),
    ]);
  });

  it('reports an unreadable or shapeless file', () => {
    expect(readCallerList({ callersFile: join(dir, 'missing.yaml') }).problems).toEqual([
      expect.stringMatching(/^CALLERS_FILE .*missing.yaml: ENOENT/),
    ]);
    expect(readCallerList({ callersFile: file('map.yaml', 'shop: secret\n') }).problems).toEqual([
      expect.stringMatching(/must hold a list of callers/),
    ]);
  });

  it('makes a bad list a boot error of loadConfig', () => {
    const load = () => loadConfig({ INSTANCE_ID: 'unit', CALLERS: '[{"username": "x", "password_hash": "plain"}]' });
    expect(load).toThrow(InvalidConfigError);
    expect(() => loadConfig({ INSTANCE_ID: 'unit', CALLERS: 'not json' })).toThrow(/CALLERS: .*array/);
    expect(loadConfig({ INSTANCE_ID: 'unit', CALLERS: JSON.stringify([{ username: 'x', password_hash: BCRYPT }]) }).callers).toHaveLength(
      1,
    );
  });

  it('parses the list once, at boot, into the typed entries the configuration carries', () => {
    const callersFile = file('boot.yaml', `- username: shop\n  password_hash: "${BCRYPT}"\n  rate_limit: {rate: 2}\n`);
    const config = loadConfig({
      INSTANCE_ID: 'unit',
      CALLERS_FILE: callersFile,
      CALLERS: JSON.stringify([{ username: 'bank', password_hash: BCRYPT, field_defaults: { from_addr: '1' } }]),
    });
    expect(config.callerEntries).toEqual([
      { username: 'shop', passwordHash: BCRYPT, rateLimit: { rate: 2, burst: 2 }, fieldDefaults: undefined },
      { username: 'bank', passwordHash: BCRYPT, rateLimit: undefined, fieldDefaults: { from_addr: '1' } },
    ]);
    expect(Object.isFrozen(config.callerEntries)).toBe(true);
    // Changing the file after boot changes nothing: nothing reads it again.
    writeFileSync(callersFile, 'not: [a list');
    expect(config.callerEntries.map((entry) => entry.username)).toEqual(['shop', 'bank']);
    expect(loadConfig({ INSTANCE_ID: 'unit' }).callerEntries).toEqual([]);
  });
});
