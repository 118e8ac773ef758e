import { ChildProcess } from 'node:child_process';
import { connect } from 'amqplib';
import { routingKeysFor } from '../src/wire/vumi-topology';
import { call } from './support/http-call';
import { AMQP_URL, ServiceProcess } from './support/service-process';
import { startEcho, stopChild } from './cluster/cluster-support';

/**
 * AMQP_QUEUE_TYPE=quorum on the shared broker (RabbitMQ 3.10 here; a quorum
 * queue works on one node too): the service and the demo echo application
 * declare quorum queues and talk through them, and a declarer that leaves the
 * argument out, as a Vumi worker does, gets PRECONDITION_FAILED, which is what
 * docs/deploy.md warns about.
 */
describe('AMQP_QUEUE_TYPE=quorum', () => {
  let service: ServiceProcess;
  let echo: ChildProcess | undefined;
  let keys: ReturnType<typeof routingKeysFor>;

  beforeAll(async () => {
    service = await ServiceProcess.start({
      AMQP_QUEUE_TYPE: 'quorum',
      PUBLISH_STATUS: 'true',
      REPLY_EXPECTED: 'true',
      REQUEST_TIMEOUT: '20',
    });
    keys = routingKeysFor(service.transportName);
    echo = await startEcho({ AMQP_URL, AMQP_QUEUE_TYPE: 'quorum', TRANSPORT_NAME: service.transportName });
  }, 60_000);

  afterAll(async () => {
    await stopChild(echo);
    await service?.stop();
    const connection = await connect(AMQP_URL);
    const channel = await connection.createChannel();
    for (const queue of [keys.inbound, keys.event, keys.outbound, keys.status]) await channel.deleteQueue(queue);
    await connection.close();
  }, 60_000);

  it('carries a request and its reply through quorum queues', async () => {
    const answer = await call(service.api({ to_addr: '555', from_addr: '123', content: 'through quorum queues' }));
    expect(answer).toMatchObject({ status: 200, body: 'through quorum queues' });
  });

  it('declared .inbound, .event, .outbound and .status.status as quorum queues: a declaration without the argument is refused', async () => {
    const connection = await connect(AMQP_URL);
    connection.on('error', () => undefined);
    try {
      for (const queue of [keys.inbound, keys.event, keys.outbound, keys.status]) {
        // As a Vumi worker declares it: durable, no arguments. The broker closes the channel.
        const plain = await connection.createChannel();
        plain.on('error', () => undefined);
        await expect(plain.assertQueue(queue, { durable: true })).rejects.toThrow(/PRECONDITION_FAILED.*x-queue-type/);
        // The same declaration with the argument is accepted.
        const quorum = await connection.createChannel();
        await expect(quorum.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } })).resolves.toMatchObject({
          queue,
        });
        await quorum.close();
      }
    } finally {
      await connection.close();
    }
  });
});
