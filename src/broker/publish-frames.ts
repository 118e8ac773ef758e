import type { ConfirmChannel, Options } from 'amqplib';
import type { Writable } from 'node:stream';
import { FastPaths, SWITCHED_OFF } from '../config/fast-paths';
import { requireAmqplibInternal } from './amqplib-internals';

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
/** amqplib's encoders (see amqplib-internals.ts), or the reason they cannot be used. */
function loadAmqplibInternals(): { defs: AmqplibCodec; args: AmqplibArgs } | string {
  try {
    const defs = requireAmqplibInternal('defs') as Partial<AmqplibCodec>;
    const args = requireAmqplibInternal('api_args') as Partial<AmqplibArgs>;
    if (typeof defs.encodeMethod !== 'function' || typeof defs.encodeProperties !== 'function')
      return 'amqplib lib/defs.js has no encoders';
    if (typeof defs.BasicPublish !== 'number' || typeof defs.BasicProperties !== 'number' || typeof defs.FRAME_OVERHEAD !== 'number') {
      return 'amqplib lib/defs.js has no BasicPublish/BasicProperties/FRAME_OVERHEAD';
    }
    if (typeof args.publish !== 'function') return 'amqplib lib/api_args.js has no publish()';
    return { defs: defs as AmqplibCodec, args: args as AmqplibArgs };
  } catch (error) {
    return `amqplib internals not loadable: ${error instanceof Error ? error.message : String(error)}`;
  }
}

const internals = loadAmqplibInternals();

/** Why framed publishes cannot be used with the installed amqplib, or null when they can. */
export function publishFramesDeclineReason(): string | null {
  return typeof internals === 'string' ? internals : null;
}

/** The parts of an amqplib (0.10 to 2.3) confirm channel a framed publish touches. */
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
  /** Where the content header frame starts (its size field is 3 bytes on). */
  headerAt: number;
  /** Where a headers table goes: after content-type and content-encoding, before delivery-mode. */
  headersAt: number;
  /** Whether amqplib encoded an empty headers table there (it does for every publish without headers). */
  hasEmptyTable: boolean;
}

const MAX_CACHED_KEYS = 64;
const FRAME_BODY = 3;
const FRAME_END = 0xce;
/** In a content header frame: type (1), channel (2), size (4), class (2), weight (2), then the 64-bit body size. */
const BODY_SIZE_IN_HEADER = 11;
/** Frame type, channel and size before a body frame's payload. */
const BODY_FRAME_HEADER = 7;
/** In a content header frame: type (1), channel (2), size (4), class (2), weight (2), body size (8), then the property flags. */
const FLAGS_IN_HEADER = 19;
/** The property flag of the headers table (AMQP 0-9-1 basic properties: bit 13). */
const HEADERS_FLAG = 0x2000;
/** The one header a plain publish may carry, so that a message names the request it came from (issue 24). */
const REQUEST_ID_KEY = Buffer.from('x-request-id', 'latin1');
/** Table size (4), key length (1), key, type 'S' (1), value length (4): the bytes around the value. */
const REQUEST_ID_TABLE_OVERHEAD = 4 + 1 + REQUEST_ID_KEY.length + 1 + 4;

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
  send(
    channel: ConfirmChannel,
    routingKey: string,
    body: Buffer | string,
    confirmed: (error: unknown) => void,
    requestId?: string,
  ): boolean {
    if (typeof internals === 'string') return false;
    // The headers table is spliced in only where the pre-encoded head has the place for it (see headFor).
    if (requestId !== undefined && (this.options.headers !== undefined || !isAscii(requestId))) return false;
    const raw = channel as unknown as Partial<RawChannel>;
    const connection = raw.connection;
    // amqplib replaces a closed channel's sendMessage with one that throws: that answer is amqplib's to give.
    if (Object.hasOwn(channel, 'sendMessage') || typeof raw.pushConfirmCallback !== 'function' || typeof raw.ch !== 'number') return false;
    const buffer = connection?.channels?.[raw.ch]?.buffer;
    if (!buffer) return false;
    const size = typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.length;
    if (size === 0 || size > connection.frameMax - internals.defs.FRAME_OVERHEAD) return false;
    const head = this.headFor(internals, raw.ch, routingKey);
    const { bytes, bodySizeAt } = head;
    if (requestId !== undefined && !head.hasEmptyTable && (bytes.readUInt16BE(head.headerAt + FLAGS_IN_HEADER) & HEADERS_FLAG) !== 0) {
      return false;
    }
    const table = requestId === undefined ? 0 : REQUEST_ID_TABLE_OVERHEAD + requestId.length;
    const grows = table === 0 ? 0 : head.hasEmptyTable ? table - 4 : table;
    const frame = Buffer.allocUnsafe(bytes.length + grows + BODY_FRAME_HEADER + size + 1);
    let at: number;
    if (requestId === undefined) {
      bytes.copy(frame, 0);
      at = bytes.length;
    } else {
      at = spliceRequestId(frame, head, requestId, table);
    }
    frame.writeUInt32BE(0, bodySizeAt); // the high half: a body that fits one frame is far below 2^32
    frame.writeUInt32BE(size, bodySizeAt + 4);
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

  private headFor({ defs, args }: { defs: AmqplibCodec; args: AmqplibArgs }, channel: number, routingKey: string): Head {
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
      const o = this.options;
      const shortText = (text: string | undefined) => (text === undefined ? 0 : 1 + Buffer.byteLength(text, 'latin1'));
      const bytes = Buffer.concat([method, header]);
      const headersAt = method.length + FLAGS_IN_HEADER + 2 + shortText(o.contentType) + shortText(o.contentEncoding);
      const hasTable = (bytes.readUInt16BE(method.length + FLAGS_IN_HEADER) & HEADERS_FLAG) !== 0;
      head = {
        bytes,
        bodySizeAt: method.length + BODY_SIZE_IN_HEADER,
        headerAt: method.length,
        headersAt,
        hasEmptyTable: hasTable && bytes.readUInt32BE(headersAt) === 0,
      };
      // The service publishes to a handful of keys; a bound all the same, should a caller ever vary them.
      if (byKey.size < MAX_CACHED_KEYS) byKey.set(routingKey, head);
    }
    return head;
  }
}

/** `options` with the request id as its `x-request-id` header: what amqplib publishes when a frame is not written here. */
export function withRequestIdHeader(options: Options.Publish, requestId: string): Options.Publish {
  const headers: Record<string, unknown> = { ...(options.headers as Record<string, unknown> | undefined) };
  headers[REQUEST_ID_KEY.toString('latin1')] = requestId;
  return { ...options, headers };
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7e || text.charCodeAt(i) < 0x20) return false;
  return true;
}

/**
 * Writes `head` into `frame` with the table `{"x-request-id": requestId}` (a long string, as amqplib
 * encodes a string header) at its place among the properties. amqplib sends an empty headers table
 * with every publish; the entry goes into it (the table's and the content header frame's sizes grown).
 * Without that table (other options), the table is inserted and the headers flag set. Returns where
 * the body frame starts.
 */
function spliceRequestId(frame: Buffer, head: Head, requestId: string, table: number): number {
  const { bytes, headerAt, headersAt } = head;
  const flagsAt = headerAt + FLAGS_IN_HEADER;
  const hasTable = (bytes.readUInt16BE(flagsAt) & HEADERS_FLAG) !== 0;
  // An empty table stays in place (4 bytes of size 0): the entry goes after its size.
  const copiedTo = hasTable ? headersAt + 4 : headersAt;
  const grows = hasTable ? table - 4 : table;
  bytes.copy(frame, 0, 0, copiedTo);
  if (!hasTable) frame.writeUInt16BE(bytes.readUInt16BE(flagsAt) | HEADERS_FLAG, flagsAt);
  frame.writeUInt32BE(bytes.readUInt32BE(headerAt + 3) + grows, headerAt + 3);
  frame.writeUInt32BE(table - 4, headersAt);
  let at = headersAt + 4;
  at = frame.writeUInt8(REQUEST_ID_KEY.length, at);
  at += REQUEST_ID_KEY.copy(frame, at);
  at = frame.writeUInt8(0x53, at); // 'S': a long string
  at = frame.writeUInt32BE(requestId.length, at);
  at += frame.write(requestId, at, 'latin1');
  return at + bytes.copy(frame, at, copiedTo);
}

/**
 * Framed publishes for `exchange` and `options`, or undefined (amqplib publishes) when FAST_PATHS=off
 * or amqplib's internals are not as verified (logged at warn with the reason); tells `fastPaths`.
 */
export function publishFramesIfAllowed(exchange: string, options: Options.Publish, fastPaths: FastPaths): PublishFrames | undefined {
  const reason = fastPaths.enabled ? publishFramesDeclineReason() : SWITCHED_OFF;
  if (reason !== null) {
    fastPaths.declined('amqp-publish-frames', `${reason}: amqplib encodes every publish`);
    return undefined;
  }
  fastPaths.engaged('amqp-publish-frames');
  return new PublishFrames(exchange, options);
}
