import { ServiceProcess } from './support/service-process';

/**
 * The log level changed without a restart: SIGUSR2 to the running service
 * (a real child process, on the real broker and a real port) steps
 * LOG_LEVEL → debug → trace → LOG_LEVEL, and the per-request debug lines
 * appear and go away with it.
 */
describe('SIGUSR2: log level at run time', () => {
  let service: ServiceProcess | undefined;
  afterEach(async () => {
    await service?.stop();
    service = undefined;
  });

  it('turns debug lines on and, after a full cycle, off again, with no restart', async () => {
    service = await ServiceProcess.start({ LOG_LEVEL: 'info' });
    const pid = service.pid;
    const requestLine = '"msg":"GET /http_api 200"';
    const ask = async () => expect((await fetch(service!.api({ to_addr: '1', from_addr: '2', content: 'x' }))).status).toBe(200);

    await ask();
    await service.waitForOutput('"msg":"Inbound message', 1000).then(
      () => {
        throw new Error('a debug line at LOG_LEVEL=info');
      },
      () => undefined,
    );
    expect(service.count(requestLine)).toBe(0);

    service.signal('SIGUSR2');
    await service.waitForOutput('Log level debug after SIGUSR2; next: trace');
    await ask();
    await service.waitForOutput(requestLine);

    service.signal('SIGUSR2');
    await service.waitForOutput('Log level trace after SIGUSR2');
    service.signal('SIGUSR2');
    await service.waitForOutput('Log level info (LOG_LEVEL) after SIGUSR2');
    const before = service.count(requestLine);
    await ask();
    await ask();
    // A later line proves the requests were handled (and would have been logged) by now.
    service.signal('SIGUSR2');
    await service.waitForOutput('Log level debug after SIGUSR2', 10_000, 2);
    expect(service.count(requestLine)).toBe(before);
    expect(service.pid).toBe(pid);
    expect(service.hasExited).toBe(false);
    expect(service.errorLines()).toEqual([]);
  });
});
