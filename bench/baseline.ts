/**
 * The bare minimum that does this service's job, for `npm run bench` to hold
 * the service against: `node:http` plus `amqplib` on a confirm channel, the
 * same Vumi JSON (the service's own codec, so the bytes are identical),
 * answering `{"message_id":...}` after the broker's confirm; in reply mode
 * holding each response in a Map until the reply arrives on
 * `<transport>.outbound`, then acking it with a Vumi ack event as the service
 * does. No framework, no logging, no checks beyond the three required fields.
 *
 *   node -r ts-node/register/transpile-only bench/baseline.ts --port=8081 --transport=bench_base --mode=reply
 *
 * Settings, as `--name=value` or the env var: port (BASELINE_PORT), transport
 * (TRANSPORT_NAME), mode fire|reply (BASELINE_MODE), timeout seconds
 * (REQUEST_TIMEOUT), cleanup seconds (REQUEST_CLEANUP_INTERVAL), prefetch
 * (AMQP_PREFETCH_COUNT), path (WEB_PATH), AMQP_URL.
 */
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { connect, ConfirmChannel, ConsumeMessage } from 'amqplib';
import { buildAck, buildInboundMessage } from '../src/wire/vumi-builders';
import { decodeOutboundMessage } from '../src/wire/vumi-decoder';
import { encodeMessage } from '../src/wire/vumi-serializer';
import { VUMI_EXCHANGE, routingKeysFor } from '../src/wire/vumi-topology';
import { AmqpTopology } from '../src/broker/amqp-topology';

function setting(name: string, env: string, fallback: string): string {
  const flag = process.argv.find((arg) => arg.startsWith(`--${name}=`));
  return flag?.slice(name.length + 3) ?? process.env[env] ?? fallback;
}

const port = Number(setting('port', 'BASELINE_PORT', '8081'));
const transportName = setting('transport', 'TRANSPORT_NAME', 'bench_baseline');
const replyMode = setting('mode', 'BASELINE_MODE', 'fire') === 'reply';
const timeoutMs = Number(setting('timeout', 'REQUEST_TIMEOUT', '240')) * 1000;
const cleanupMs = Number(setting('cleanup', 'REQUEST_CLEANUP_INTERVAL', '5')) * 1000;
const prefetch = Number(setting('prefetch', 'AMQP_PREFETCH_COUNT', '20'));
const webPath = setting('path', 'WEB_PATH', '/http_api');
const amqpUrl = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672/';
const keys = routingKeysFor(transportName);
const PUBLISH = { persistent: true, contentType: 'application/json', contentEncoding: 'utf-8' };
const JSON_TYPE = 'application/json; charset=utf-8';
const TEXT_TYPE = 'text/plain; charset=utf-8';

interface Held {
  res: ServerResponse;
  at: number;
}
/** Insertion order is expiry order (one time-out for all), as in the service. */
const held = new Map<string, Held>();

function answer(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function publish(channel: ConfirmChannel, routingKey: string, body: Buffer): Promise<void> {
  return new Promise((resolve, reject) =>
    channel.publish(VUMI_EXCHANGE, routingKey, body, PUBLISH, (error: Error | null) => (error ? reject(error) : resolve())),
  );
}

async function onRequest(channel: ConfirmChannel, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://baseline');
  if (url.pathname !== webPath) return answer(res, 404, TEXT_TYPE, 'Not Found');
  if (req.method !== 'GET' && req.method !== 'POST' && req.method !== 'PUT') {
    return answer(res, 405, TEXT_TYPE, 'Method Not Allowed');
  }
  const q = url.searchParams;
  const [content, to_addr, from_addr] = [q.get('content'), q.get('to_addr'), q.get('from_addr')];
  if (content === null || to_addr === null || from_addr === null) {
    return answer(res, 400, JSON_TYPE, '{"missing_parameter":["content","to_addr","from_addr"]}');
  }
  const message = buildInboundMessage(
    { to_addr, from_addr, content, group: null, session_event: null },
    { transportName, instanceId: 'baseline' },
  );
  const id = message.message_id;
  if (replyMode) {
    held.set(id, { res, at: performance.now() });
    res.once('close', () => !res.writableEnded && held.get(id)?.res === res && held.delete(id));
  }
  try {
    await publish(channel, keys.inbound, encodeMessage(message));
  } catch {
    held.delete(id);
    return answer(res, 503, JSON_TYPE, '{"error":"broker unavailable"}');
  }
  if (!replyMode) answer(res, 200, JSON_TYPE, `{"message_id":"${id}"}`);
}

async function onReply(channel: ConfirmChannel, consumer: ConfirmChannel, delivery: ConsumeMessage): Promise<void> {
  try {
    const reply = decodeOutboundMessage(delivery.content, 1024 * 1024);
    const request = reply.in_reply_to === null ? undefined : held.get(reply.in_reply_to);
    if (request && reply.content !== null) {
      held.delete(reply.in_reply_to as string);
      answer(request.res, 200, TEXT_TYPE, reply.content);
      await publish(channel, keys.event, encodeMessage(buildAck(reply.message_id, transportName)));
    }
  } catch {
    // Malformed or the event was not confirmed: dropped, like the service's second failure.
  }
  consumer.ack(delivery);
}

function sweep(): void {
  const now = performance.now();
  for (const [id, request] of held) {
    if (now - request.at < timeoutMs) break;
    held.delete(id);
    answer(request.res, 504, TEXT_TYPE, '');
  }
}

async function main(): Promise<void> {
  const connection = await connect(amqpUrl);
  const channel = await connection.createConfirmChannel();
  await new AmqpTopology(transportName).declareQueues(channel, [keys.inbound, keys.event, keys.outbound]);
  if (replyMode) {
    const consumer = await connection.createConfirmChannel();
    await consumer.prefetch(prefetch);
    await consumer.consume(keys.outbound, (delivery) => delivery && void onReply(channel, consumer, delivery));
    if (cleanupMs >= 1000) setInterval(sweep, cleanupMs).unref();
  }
  const server = createServer((req, res) => void onRequest(channel, req, res));
  server.listen(port, '127.0.0.1', () => process.stdout.write(`baseline (${replyMode ? 'reply' : 'fire'}) on ${port}\n`));
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      server.close();
      void connection.close().finally(() => process.exit(0));
    });
  }
}

main().catch((error) => {
  process.stderr.write(`baseline failed: ${(error as Error)?.stack ?? error}\n`);
  process.exit(1);
});
