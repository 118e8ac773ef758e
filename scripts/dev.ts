/**
 * The dev loop's supervisor (scripts/dev.sh execs it, so its PID is the one
 * recorded): starts the transport and, when replies are expected, the echo
 * application; passes their output through; reads the port the service
 * prints (so WEB_PORT=0 works); prints a curl line once health answers.
 * Any of SIGINT, SIGTERM, SIGHUP, SIGQUIT stops the children (SIGTERM: the
 * service drains; SIGKILL after 15 s) and the private broker dev.sh started
 * (DEV_PRIVATE_BROKER), then exits. If this process is killed outright, the
 * children notice (exit-with-parent.js) and a watchdog stops the broker.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');
const KILL_AFTER_MS = 15_000;
const HEALTH_WAIT_MS = 120_000;
const env = process.env; // a dev tool, not the service: src/ reads its settings through the config loader
const privateBroker = env.DEV_PRIVATE_BROKER ?? '';
/** Like the config loader's booleans: true/false/1/0/yes/no. */
const replyExpected = /^(true|1|yes)$/i.test(env.REPLY_EXPECTED ?? 'true');
const say = (line: string) => process.stderr.write(`dev: ${line}\n`);

const children: ChildProcess[] = [];
let stopping: Promise<never> | undefined;

function start(name: string, script: string, onLine?: (line: string) => void): ChildProcess {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-r', join(__dirname, 'exit-with-parent.js'), script], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    process.stdout.write(`${line}\n`);
    onLine?.(line);
  });
  child.once('exit', (code, signal) => {
    if (!stopping) {
      say(`${name} exited (${signal ?? `code ${code}`}): stopping everything`);
      void stop(1);
    }
  });
  children.push(child);
  return child;
}

/** If this process dies without stopping the broker (SIGKILL), a detached shell stops it. */
function brokerWatchdog(): ChildProcess | undefined {
  if (!privateBroker) return undefined;
  const watchdog = spawn(
    'bash',
    [
      '-c',
      'while kill -0 "$1" 2>/dev/null; do sleep 1; done; exec scripts/broker.sh stop "$2"',
      'watchdog',
      String(process.pid),
      privateBroker,
    ],
    { cwd: ROOT, detached: true, stdio: 'ignore' },
  );
  watchdog.unref();
  return watchdog;
}
const watchdog = brokerWatchdog();

function stop(status: number): Promise<never> {
  stopping ??= (async () => {
    const running = children.filter((child) => child.exitCode === null && child.signalCode === null);
    const exited = running.map((child) => new Promise((done) => child.once('exit', done)));
    for (const child of running) child.kill('SIGTERM');
    const timer = setTimeout(() => running.forEach((child) => child.kill('SIGKILL')), KILL_AFTER_MS);
    await Promise.all(exited);
    clearTimeout(timer);
    if (privateBroker) {
      watchdog?.kill('SIGKILL');
      spawnSync(join(ROOT, 'scripts/broker.sh'), ['stop', privateBroker], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    }
    process.exit(status);
  })();
  return stopping;
}

const SIGNALS = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1, SIGQUIT: 3 } as const;
for (const [signal, number] of Object.entries(SIGNALS)) {
  process.on(signal, () => {
    if (!stopping) say(`${signal}: stopping everything`);
    void stop(128 + number);
  });
}

/** The service's start line (JSON or pretty): `Listening on http://127.0.0.1:43521/http_api (...)`. */
const LISTENING = /Listening on (https?:\/\/[^\s/]+)(\/\S*)/;

let announced = false;
start('the transport', 'src/main.ts', (line) => {
  const match = announced ? null : LISTENING.exec(line);
  if (!match) return;
  announced = true;
  void announce(match[1], match[2]);
});
if (replyExpected) start('the echo application', 'src/demo/echo-application.ts');
else say('REPLY_EXPECTED=false: no echo application (fire-and-forget answers {"message_id": ...})');

async function announce(origin: string, apiPath: string): Promise<void> {
  // The service listens before its broker answers: wait for health's 200 (the broker reached), so the
  // curl line works when printed. A 503 past the deadline still means the service is up: say why, go on.
  const health = `${origin}/${(env.HEALTH_PATH ?? 'health').replace(/^\//, '')}`;
  const deadline = Date.now() + HEALTH_WAIT_MS;
  for (;;) {
    const status = await fetch(health).then(
      (response) => response.status,
      () => undefined,
    );
    if (status === 200 || stopping) break;
    if (Date.now() > deadline) {
      if (status === undefined) {
        say(`${health} did not answer within ${HEALTH_WAIT_MS / 1000} s`);
        return void stop(1);
      }
      say(`${health} still answers ${status} after ${HEALTH_WAIT_MS / 1000} s: is the broker up? (the service keeps trying)`);
      break;
    }
    await new Promise((done) => setTimeout(done, 250));
  }
  if (stopping) return;
  process.stderr.write(
    `\ndev: transport up at ${origin} (AMQP_URL=${env.AMQP_URL}, transport ${env.TRANSPORT_NAME}, REPLY_EXPECTED=${replyExpected}).\n` +
      (privateBroker ? `dev: private broker ${privateBroker} (stopped with everything else)\n` : '') +
      'Try:\n' +
      `  curl '${origin}${apiPath}?to_addr=555&from_addr=123&content=hello'\n` +
      (replyExpected
        ? '(reply mode: the echo application answers "hello"; REPLY_EXPECTED=false npm run dev answers {"message_id": ...})\n'
        : '(fire-and-forget: {"message_id": ...}; the default, REPLY_EXPECTED=true, adds the echo application)\n') +
      `Ctrl-C (or any signal to PID ${process.pid}) stops everything.\n\n`,
  );
}
