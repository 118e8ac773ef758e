import { ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
const START_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;

/**
 * The demo echo application (src/demo/echo-application.ts) as a child process, resolved once it
 * consumes (it prints "echo application consuming" then). `env` names its broker and transport
 * (AMQP_URL, TRANSPORT_NAME, AMQP_QUEUE_TYPE, ...). Its output is read for as long as it runs, so
 * a full pipe never stalls it.
 */
export async function startEcho(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/demo/echo-application.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let seen = '';
  await new Promise<void>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`echo application did not start: ${seen}`)), START_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      if (seen.length < 64 * 1024) seen += chunk.toString();
      if (seen.includes('echo application consuming')) {
        clearTimeout(timer);
        done();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`echo application exited (${code}): ${seen}`));
    });
  });
  return child;
}

/** SIGTERM, then SIGKILL if the child is still there after a grace period. */
export async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((done) => child.once('exit', done));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((done) => setTimeout(done, STOP_GRACE_MS))]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}
