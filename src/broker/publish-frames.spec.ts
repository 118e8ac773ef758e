import type { ConfirmChannel, Options } from 'amqplib';
import { requireAmqplibInternal } from './amqplib-internals';
import { PassThrough } from 'node:stream';
import { PublishFrames } from './publish-frames';

// amqplib's own modules, untyped internals: the shapes this spec uses.
const defs = requireAmqplibInternal('defs') as { BasicPublish: number; BasicProperties: number };
const args = requireAmqplibInternal('api_args') as { publish(exchange: string, routingKey: string, options: Options.Publish): object };
interface ConnectionProto {
  sendMessage(this: object, ch: number, method: number, fields: object, properties: number, props: object, body: Buffer): void;
}
const { Connection } = requireAmqplibInternal('connection') as { Connection: { prototype: ConnectionProto } };

const OPTIONS: Options.Publish = { persistent: true, contentType: 'application/json', contentEncoding: 'utf-8', mandatory: false };
const FRAME_MAX = 4096;

interface Captured {
  written: Buffer[];
  confirms: unknown[];
  channel: ConfirmChannel;
  connection: { channels: unknown[]; frameMax: number; sentSinceLastCheck: boolean };
}

/** A channel shaped as amqplib 0.10's, whose connection's per-channel buffer records what is written. */
function fakeChannel(ch: number): Captured {
  const written: Buffer[] = [];
  const confirms: unknown[] = [];
  const buffer = new PassThrough();
  buffer.on('data', (chunk: Buffer) => written.push(chunk));
  const connection = { channels: [] as unknown[], frameMax: FRAME_MAX, sentSinceLastCheck: false };
  connection.channels[ch] = { buffer };
  const channel = { ch, connection, pushConfirmCallback: (cb: unknown) => confirms.push(cb) } as unknown as ConfirmChannel;
  return { written, confirms, channel, connection };
}

/** What amqplib's own Connection.sendMessage writes for the same publish. */
function amqplibBytes(ch: number, routingKey: string, body: Buffer, options: Options.Publish = OPTIONS): Buffer {
  const written: Buffer[] = [];
  const buffer = { write: (chunk: Buffer) => written.push(Buffer.from(chunk)) };
  const connection = Object.assign(Object.create(Connection.prototype) as object, { channels: { [ch]: { buffer } }, frameMax: FRAME_MAX });
  const fields = args.publish('vumi', routingKey, options);
  Connection.prototype.sendMessage.call(connection, ch, defs.BasicPublish, fields, defs.BasicProperties, fields, body);
  return Buffer.concat(written);
}

async function flushed(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
}

describe('PublishFrames', () => {
  it.each([1, 93, 700, 2047, 2048, 3000, FRAME_MAX - 8])('writes the bytes amqplib would for a %i-byte body', async (size) => {
    const frames = new PublishFrames('vumi', OPTIONS);
    const { written, channel, connection } = fakeChannel(3);
    const body = Buffer.alloc(size, 'x');
    body.write('{"é":"\u{1F600}"}', 0, 'utf8');
    expect(frames.send(channel, 'bench.inbound', body, () => undefined)).toBe(true);
    await flushed();
    expect(Buffer.concat(written)).toEqual(amqplibBytes(3, 'bench.inbound', body));
    expect(connection.sentSinceLastCheck).toBe(true);
  });

  it.each([1, 700, 2047, FRAME_MAX - 8])('writes JSON text of %i bytes as its UTF-8 bytes', async (size) => {
    const frames = new PublishFrames('vumi', OPTIONS);
    const { written, channel } = fakeChannel(1);
    const text = ('{"é":"\u{1F600}"}' + 'x'.repeat(size)).slice(0, size - 4) + '"}';
    const bytes = Buffer.from(text, 'utf8');
    expect(frames.send(channel, 'k', text, () => undefined)).toBe(bytes.length <= FRAME_MAX - 8);
    await flushed();
    if (bytes.length <= FRAME_MAX - 8) expect(Buffer.concat(written)).toEqual(amqplibBytes(1, 'k', bytes));
  });

  it.each([
    ['a UUID', '0f8fad5b-d9cb-469f-a165-70867728950e', 1],
    ['a short caller id', 'r', 93],
    ['the longest sane caller id', 'A'.repeat(128), 2000],
    ['an empty one', '', 40],
  ])('writes the bytes amqplib would with an x-request-id header: %s', async (_, requestId, size) => {
    const frames = new PublishFrames('vumi', OPTIONS);
    const { written, channel } = fakeChannel(5);
    const body = Buffer.alloc(size, 'y');
    expect(frames.send(channel, 'bench.inbound', body, () => undefined, requestId)).toBe(true);
    // The head without a header is kept as it was: a plain publish after one with a header.
    expect(frames.send(channel, 'bench.inbound', body, () => undefined)).toBe(true);
    await flushed();
    const headers = { 'x-request-id': requestId };
    expect(Buffer.concat(written)).toEqual(
      Buffer.concat([amqplibBytes(5, 'bench.inbound', body, { ...OPTIONS, headers }), amqplibBytes(5, 'bench.inbound', body)]),
    );
  });

  it('leaves to amqplib a request id that is not printable ASCII', () => {
    const { channel } = fakeChannel(5);
    expect(new PublishFrames('vumi', OPTIONS).send(channel, 'k', Buffer.from('{}'), () => undefined, 'é')).toBe(false);
  });

  it('keeps routing keys and channel numbers apart', async () => {
    const frames = new PublishFrames('vumi', OPTIONS);
    const body = Buffer.from('{"a":1}');
    for (const [ch, key] of [
      [1, 'a.inbound'],
      [1, 'a.event'],
      [2, 'a.inbound'],
      [1, 'a.inbound'],
    ] as const) {
      const { written, channel } = fakeChannel(ch);
      frames.send(channel, key, body, () => undefined);
      await flushed();
      expect(Buffer.concat(written)).toEqual(amqplibBytes(ch, key, body));
    }
  });

  it('registers the confirm callback once per publish, after the frame is built', () => {
    const frames = new PublishFrames('vumi', OPTIONS);
    const { confirms, channel } = fakeChannel(1);
    const callback = () => undefined;
    frames.send(channel, 'k', Buffer.from('{}'), callback);
    expect(confirms).toEqual([callback]);
  });

  it('leaves to amqplib a body larger than one frame, an empty body and a closed channel', () => {
    const frames = new PublishFrames('vumi', OPTIONS);
    const { confirms, channel, written } = fakeChannel(1);
    expect(frames.send(channel, 'k', Buffer.alloc(FRAME_MAX - 7), () => undefined)).toBe(false);
    expect(frames.send(channel, 'k', Buffer.alloc(0), () => undefined)).toBe(false);
    // amqplib's closed channel: sendMessage replaced by one that throws (invalidateSend).
    Object.assign(channel, {
      sendMessage: () => {
        throw new Error('Channel closed');
      },
    });
    expect(frames.send(channel, 'k', Buffer.from('{}'), () => undefined)).toBe(false);
    expect(confirms).toEqual([]);
    expect(written).toEqual([]);
  });

  it('leaves to amqplib a channel not laid out as amqplib 0.10 lays it out', () => {
    const frames = new PublishFrames('vumi', OPTIONS);
    const body = Buffer.from('{}');
    expect(frames.send({} as ConfirmChannel, 'k', body, () => undefined)).toBe(false);
    const { channel, connection } = fakeChannel(1);
    connection.channels = [];
    expect(frames.send(channel, 'k', body, () => undefined)).toBe(false);
  });
});
