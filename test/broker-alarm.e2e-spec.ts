import { encodeMessage } from '../src/wire/vumi-serializer';
import { buildReply, decodeJsonObject } from '../src/wire/vumi-application';
import { JsonObject } from '../src/wire/vumi-message';
import { routingKeysFor, VUMI_EXCHANGE } from '../src/wire/vumi-topology';
import { Answer, call } from './support/http-call';
import { AmqpConnection, connectWithRetry, PrivateBroker } from './support/private-broker';
import { ServiceProcess } from './support/service-process';

const PUBLISH_TIMEOUT_S = 2;
/** How long the application's reply waits in a parking queue before the broker itself moves it to .outbound. */
const PARKED_MS = 8_000;

interface ConnectionRow {
  /** [name, type, value] triples; the service names its connections in `connection_name`. */
  client_properties: Array<[string, string, unknown]>;
  state: string;
}

const connectionName = (row: ConnectionRow) => {
  const name = row.client_properties.find(([property]) => property === 'connection_name')?.[2];
  return typeof name === 'string' ? name : '';
};

/**
 * A resource alarm (memory watermark 0 on a private node; the shared broker is
 * never touched): RabbitMQ blocks connections that publish. The service
 * publishes and consumes on separate connections, so while its publishing
 * connection is blocked (new requests: 503 in time), a reply reaching
 * `.outbound` during the alarm is still delivered and answered.
 *
 * The reply must arrive during the alarm without anyone publishing (every
 * publisher is blocked): the application publishes it before the alarm into a
 * parking queue whose messages expire into `.outbound` (dead-lettering, inside
 * the broker) a few seconds later.
 */
describe('a broker resource alarm', () => {
  let broker: PrivateBroker;
  let service: ServiceProcess;
  let app: AmqpConnection;
  let duringAlarm: Answer;
  let heldAnswer: Answer;
  let connectionsInAlarm: ConnectionRow[] = [];
  let healthInAlarm: { status: number; broker: Record<string, unknown> };

  beforeAll(async () => {
    broker = await PrivateBroker.start();
    service = await ServiceProcess.start({
      AMQP_URL: broker.url,
      REPLY_EXPECTED: 'true',
      REQUEST_TIMEOUT: '60',
      PUBLISH_TIMEOUT: String(PUBLISH_TIMEOUT_S),
    });
    const keys = routingKeysFor(service.transportName);
    app = await connectWithRetry(broker.url, 10_000);
    app.on('error', () => undefined);
    const channel = await app.createConfirmChannel();
    const parking = `${service.transportName}.parking`;
    await channel.assertQueue(parking, {
      durable: false,
      arguments: { 'x-message-ttl': PARKED_MS, 'x-dead-letter-exchange': VUMI_EXCHANGE, 'x-dead-letter-routing-key': keys.outbound },
    });

    const held = call(service.api({ to_addr: '555', from_addr: '123', content: 'held over the alarm' }));
    let inbound: JsonObject | undefined;
    for (const deadline = Date.now() + 10_000; !inbound && Date.now() < deadline;) {
      const message = await channel.get(keys.inbound, { noAck: true });
      if (message) inbound = decodeJsonObject(message.content);
      else await new Promise((done) => setTimeout(done, 50));
    }
    if (!inbound) throw new Error('the held request never reached .inbound');
    channel.sendToQueue(parking, encodeMessage(buildReply(inbound, 'reply in the alarm')), { persistent: true });
    await channel.waitForConfirms();
    const parkedAt = Date.now();

    await broker.ctl('set_vm_memory_high_watermark', '0');
    if (Date.now() - parkedAt > PARKED_MS - 1_000) throw new Error('the alarm came too late: the reply left the parking queue before it');

    // A new request during the alarm: its publish is refused in time; it also makes the broker block the connection.
    duringAlarm = await call(service.api({ to_addr: '555', from_addr: '123', content: 'in the alarm' }));
    heldAnswer = await held;
    connectionsInAlarm = JSON.parse(
      await broker.ctl('list_connections', 'client_properties', 'state', '--formatter', 'json', '--quiet'),
    ) as ConnectionRow[];
    const health = await call(service.path(service.config.healthPath));
    healthInAlarm = {
      status: health.status,
      broker: (JSON.parse(health.body) as { details: { broker: Record<string, unknown> } }).details.broker,
    };
    await broker.ctl('set_vm_memory_high_watermark', '0.4');
  }, 120_000);

  afterAll(async () => {
    await app?.close().catch(() => undefined);
    await service?.stop();
    await broker?.destroy();
  }, 60_000);

  it('refuses new requests with 503 and Retry-After within PUBLISH_TIMEOUT', () => {
    expect(duringAlarm.status).toBe(503);
    expect(duringAlarm.headers.get('retry-after')).not.toBeNull();
    expect(duringAlarm.ms).toBeLessThan(PUBLISH_TIMEOUT_S * 1000 + 3_000);
  });

  it('still answers a held request with the reply that reached .outbound during the alarm', () => {
    // Answered before the alarm is cleared (beforeAll clears it only after this answer), and the reply left
    // the parking queue only after the alarm was set (checked there).
    expect(heldAnswer).toMatchObject({ status: 200, body: 'reply in the alarm' });
  });

  it('had only the publishing connection blocked, the consuming one still running', () => {
    const ours = connectionsInAlarm.filter((row) => connectionName(row).includes(service.config.instanceId));
    const states = Object.fromEntries(ours.map((row) => [connectionName(row).split(' ').pop() ?? '', row.state] as const));
    expect(Object.keys(states).sort()).toEqual(['consume', 'publish']);
    expect(states.publish).toBe('blocked');
    // `blocking`: it would be blocked if it published; it never does, so it keeps reading (acks) and delivering.
    expect(['running', 'blocking']).toContain(states.consume);
  });

  it('says so on health: 503, publishing blocked, consuming connected, both on the same node', () => {
    expect(healthInAlarm.status).toBe(503);
    expect(healthInAlarm.broker).toMatchObject({
      state: 'blocked',
      node: `127.0.0.1:${broker.port}`,
      connections: {
        publish: { state: 'blocked', node: `127.0.0.1:${broker.port}` },
        consume: { state: 'connected', node: `127.0.0.1:${broker.port}` },
      },
    });
  });
});
