import { nodeAddress, redactUrl, redactValue } from './url-redaction';

describe('redactUrl', () => {
  it.each([
    ['amqp://guest:guest@localhost:5672/', 'amqp://guest:***@localhost:5672/'],
    ['amqps://user:s3cret@rabbit.example:5671/vhost', 'amqps://user:***@rabbit.example:5671/vhost'],
    // A raw "@" in the password: the credentials end at the last "@".
    ['amqp://user:p@ss@word@rabbit:5672/', 'amqp://user:***@rabbit:5672/'],
    // An empty user name (Redis's usual form, and valid AMQP).
    ['redis://:hunter2@127.0.0.1:6379/0', 'redis://:***@127.0.0.1:6379/0'],
    ['amqp://:hunter2@rabbit/', 'amqp://:***@rabbit/'],
    // A password with a raw "/" or ":" (the URL does not even parse).
    ['amqp://user:a/b:c@rabbit/', 'amqp://user:***@rabbit/'],
    // No colon: a bare password or a user name alone, hidden either way.
    ['redis://hunter2@cache:6379', 'redis://***@cache:6379'],
    // Invalid values are echoed in boot errors: they are redacted too.
    ['http://admin:topsecret@localhost', 'http://admin:***@localhost'],
    ['admin:topsecret@localhost', '***@localhost'],
  ])('%s -> %s', (url, redacted) => {
    expect(redactUrl(url)).toBe(redacted);
  });

  it('leaves a URL without credentials as it is', () => {
    expect(redactUrl('amqp://rabbit:5672/')).toBe('amqp://rabbit:5672/');
    expect(redactUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(redactUrl('not a url')).toBe('not a url');
  });

  it('never lets the password through, whatever the shape', () => {
    for (const password of ['pw', 'p@w', '@@', 'p:w', 'p/w', 'p%40w', '']) {
      for (const user of ['', 'u', 'u%40x']) {
        const url = `amqp://${user}:${password}SECRET@host:5672/vh`;
        expect(redactUrl(url)).not.toContain('SECRET');
      }
    }
  });
});

describe('redactValue', () => {
  it('redacts strings and every string of a list, and leaves other values alone', () => {
    expect(redactValue('amqp://u:pw@h/')).toBe('amqp://u:***@h/');
    expect(redactValue(['amqp://u:pw@a/', 'http://u:p@w@b/'])).toEqual(['amqp://u:***@a/', 'http://u:***@b/']);
    expect(redactValue(42)).toBe(42);
    expect(redactValue('plain')).toBe('plain');
  });
});

describe('nodeAddress', () => {
  it('names host and port only, filling in the default port', () => {
    expect(nodeAddress('amqp://guest:guest@10.0.0.7:5673/vhost')).toBe('10.0.0.7:5673');
    expect(nodeAddress('amqp://guest:guest@rabbit/')).toBe('rabbit:5672');
    expect(nodeAddress('amqps://u:p@w@rabbit.example/')).toBe('rabbit.example:5671');
    expect(nodeAddress('redis://:pw@cache')).toBe('cache:6379');
  });

  it('falls back to the redacted text when the URL does not parse', () => {
    expect(nodeAddress('amqp://u:pw@[bad/')).not.toContain('pw');
  });
});
