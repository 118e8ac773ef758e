// Owns: the demo echo application (npm run dev, the demo profiles, the bench): a Vumi application, not the service.
// May import: itself and the layers below it in .dependency-cruiser.cjs: wire, common, config, platform/*, broker, reply-path/*, callers/*, request-path/*, operations/*.
import 'reflect-metadata';
import { connect } from 'amqp-connection-manager';
import { Channel, ConsumeMessage } from 'amqplib';
import { loadConfig } from '../config/config-loader';
import { nodeAddress } from '../config/url-redaction';
import { encodeMessage } from '../wire/vumi-serializer';
import { buildReply, decodeJsonObject } from '../wire/vumi-application';
import { VUMI_EXCHANGE } from '../wire/vumi-topology';
import { AmqpTopology } from '../broker/amqp-topology';

/**
 * A minimal Vumi application for demos, tests and benchmarks: it consumes
 * `<transport>.inbound` and answers each message the way Vumi's
 * `msg.reply(content)` does, echoing its content. It reads the service's own
 * configuration (AMQP_URL, a list of nodes too; AMQP_QUEUE_TYPE, TRANSPORT_NAME,
 * AMQP_PREFETCH_COUNT).
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const topology = AmqpTopology.of(config);
  const keys = topology.keys;
  const connection = connect([...config.amqpUrls], { reconnectTimeInSeconds: 1 });
  // The URLs it was given are strings, so is the one it connected to.
  connection.on('connect', ({ url }) => process.stdout.write(`echo application connected to ${nodeAddress(url as string)}\n`));
  const channel = connection.createChannel({
    confirm: true,
    setup: async (ch: Channel) => {
      await topology.declareQueues(ch, [keys.inbound, keys.outbound]);
      await ch.prefetch(Math.max(config.amqpPrefetchCount, 100));
      await ch.consume(keys.inbound, (message) => message && void echo(ch, message), { noAck: false });
    },
  });

  async function echo(ch: Channel, message: ConsumeMessage): Promise<void> {
    try {
      const inbound = decodeJsonObject(message.content);
      const content = typeof inbound.content === 'string' ? inbound.content : '';
      await channel.publish(VUMI_EXCHANGE, keys.outbound, encodeMessage(buildReply(inbound, content)), {
        persistent: true,
      });
    } catch (error) {
      process.stderr.write(`echo: dropping an inbound message: ${(error as Error).message}\n`);
    }
    ch.ack(message);
  }

  await channel.waitForConnect();
  process.stdout.write(`echo application consuming ${keys.inbound}, replying on ${keys.outbound}\n`);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => void connection.close().then(() => process.exit(0)));
  }
}

main().catch((error) => {
  process.stderr.write(`echo application failed: ${(error as Error)?.stack ?? error}\n`);
  process.exit(1);
});
