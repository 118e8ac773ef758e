import type { ConfirmChannel, Options } from 'amqplib';
import type { Writable } from 'node:stream';

/** amqplib's own encoders (lib/defs.js, lib/api_args.js): the frames' bytes are amqplib's. */
interface AmqplibCodec {
  encodeMethod(method: number, channel: number, fields: object): Buffer;
  encodeProperties(properties: number, channel: number, size: number, fields: object): Buffer;
  BasicPublish: number;
  BasicProperties: number;
  FRAME_OVERHEAD: number;
}
interface AmqplibArgs {
  publish(exchange: string, routingKey: string, options: Options.Publish): object;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports -- an internal module of amqplib, shipped without types
const defs = require('amqplib/lib/defs') as AmqplibCodec;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- an internal module of amqplib, shipped without types
const args = require('amqplib/lib/api_args') as AmqplibArgs;

/** The parts of an amqplib (0.10) confirm channel a framed publish touches. */
interface RawChannel {
  ch: number;
  connection: { channels: Array<{ buffer: Writable } | null | undefined>; frameMax: number; sentSinceLastCheck: boolean };
  pushConfirmCallback(callback: (error: unknown) => void): void;
}

/** A body as amqplib takes it: JSON text as its UTF-8 bytes. */
export function bodyBytes(body: Buffer | string): Buffer {
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
}

/** A method frame then a content header (encoded with body size 0), and where the body size goes. */
interface Head {
  bytes: Buffer;
  bodySizeAt: number;
}

const MAX_CACHED_KEYS = 64;
const FRAME_BODY = 3;
const FRAME_END = 0xce;
/** In a content header frame: type (1), channel (2), size (4), class (2), weight (2), then the 64-bit body size. */
const BODY_SIZE_IN_HEADER = 11;
/** Frame type, channel and size before a body frame's payload. */
const BODY_FRAME_HEADER = 7;

/**
 * The publishes of one exchange and one set of properties, framed from
 * pre-encoded bytes. amqplib encodes each publish from scratch: the method's
 * fields and every property, in four buffers (one zero-filled) copied into a
 * fifth. Here the method frame and the content header are encoded once per
 * routing key by amqplib's own encoders, and a publish is one buffer: those
 * bytes, the body size, the body frame (JSON text written into it directly).
 * The bytes on the wire are the ones amqplib would send (publish-frames.spec.ts
 * compares them).
 *
 * It takes a publish only when the channel is open and laid out as expected
 * and the body fits one frame; `send` returns false otherwise and the caller
 * publishes through amqplib as before.
 */
export class PublishFrames {
  /** Per channel number and routing key. */
  private readonly heads = new Map<number, Map<string, Head>>();

  constructor(
    private readonly exchange: string,
    private readonly options: Options.Publish,
  ) {}

  /**
   * Publishes `body` (bytes, or text sent as UTF-8) on `channel` as amqplib's `publish` would, with `confirmed` called on its
   * confirm or nack. Returns false, having sent nothing, when the publish must go through amqplib.
   */
  send(channel: ConfirmChannel, routingKey: string, body: Buffer | string, confirmed: (error: unknown) => void): boolean {
    const raw = channel as unknown as Partial<RawChannel>;
    const connection = raw.connection;
    // amqplib replaces a closed channel's sendMessage with one that throws: that answer is amqplib's to give.
    if (Object.hasOwn(channel, 'sendMessage') || typeof raw.pushConfirmCallback !== 'function' || typeof raw.ch !== 'number') return false;
    const buffer = connection?.channels?.[raw.ch]?.buffer;
    if (!buffer) return false;
    const size = typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.length;
    if (size === 0 || size > connection.frameMax - defs.FRAME_OVERHEAD) return false;
    const { bytes, bodySizeAt } = this.headFor(raw.ch, routingKey);
    const frame = Buffer.allocUnsafe(bytes.length + BODY_FRAME_HEADER + size + 1);
    bytes.copy(frame, 0);
    frame.writeUInt32BE(0, bodySizeAt); // the high half: a body that fits one frame is far below 2^32
    frame.writeUInt32BE(size, bodySizeAt + 4);
    let at = bytes.length;
    frame[at] = FRAME_BODY;
    frame.writeUInt16BE(raw.ch, at + 1);
    frame.writeUInt32BE(size, at + 3);
    at += BODY_FRAME_HEADER;
    // JSON text goes straight into the frame: no Buffer of its own, no copy.
    at += typeof body === 'string' ? frame.write(body, at, size, 'utf8') : body.copy(frame, at);
    frame[at] = FRAME_END;
    // Registered only once the frame is built: a confirm must never pair with a publish that was not sent.
    raw.pushConfirmCallback(confirmed);
    connection.sentSinceLastCheck = true;
    buffer.write(frame); // false when amqplib's buffer is full: it still sends, as amqplib's own publish does
    return true;
  }

  private headFor(channel: number, routingKey: string): Head {
    let byKey = this.heads.get(channel);
    if (!byKey) {
      byKey = new Map();
      this.heads.set(channel, byKey);
    }
    let head = byKey.get(routingKey);
    if (!head) {
      const fields = args.publish(this.exchange, routingKey, this.options);
      const method = defs.encodeMethod(defs.BasicPublish, channel, fields);
      const header = defs.encodeProperties(defs.BasicProperties, channel, 0, fields);
      head = { bytes: Buffer.concat([method, header]), bodySizeAt: method.length + BODY_SIZE_IN_HEADER };
      // The service publishes to a handful of keys; a bound all the same, should a caller ever vary them.
      if (byKey.size < MAX_CACHED_KEYS) byKey.set(routingKey, head);
    }
    return head;
  }
}
