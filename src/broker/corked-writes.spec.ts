import { PassThrough, Writable } from 'node:stream';
import { corkFrameWrites } from './corked-writes';

// amqplib's own multiplexer, as the connection uses it (no types: an internal module).
// eslint-disable-next-line @typescript-eslint/no-require-imports -- an internal module of amqplib, shipped without types
const { Mux } = require('amqplib/lib/mux') as { Mux: new (out: Writable) => unknown };

/** A socket stand-in that counts the writes it is given, one by one or together. */
function countingSocket() {
  const calls: number[] = [];
  const out = new Writable({
    write(_chunk, _encoding, done) {
      calls.push(1);
      done();
    },
    writev(chunks, done) {
      calls.push(chunks.length);
      done();
    },
  });
  return { out, calls };
}

/** Queues `frames` on two channels' buffers, as amqplib's channels do, and lets the mux run. */
async function sendThroughMux(cork: boolean, frames: number) {
  const { out, calls } = countingSocket();
  const mux = new Mux(out) as { pipeFrom(stream: PassThrough): void };
  if (cork) expect(corkFrameWrites({ connection: { muxer: mux } })).toBe(true);
  const channels = [new PassThrough({ objectMode: true }), new PassThrough({ objectMode: true })];
  for (const channel of channels) mux.pipeFrom(channel);
  for (let n = 0; n < frames; n++) channels[n % 2].write(Buffer.from(`frame ${n}`));
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  return calls;
}

describe('corkFrameWrites', () => {
  it("sends one turn's frames in one write instead of one write per frame", async () => {
    expect(await sendThroughMux(false, 10)).toEqual(Array(10).fill(1));
    const corked = await sendThroughMux(true, 10);
    expect(corked.reduce((a, b) => a + b, 0)).toBe(10);
    expect(corked.length).toBeLessThan(3);
  });

  it('leaves a connection of another shape alone, and corks a mux only once', () => {
    expect(corkFrameWrites(undefined)).toBe(false);
    expect(corkFrameWrites({ connection: {} })).toBe(false);
    const { out } = countingSocket();
    const mux = new Mux(out) as { _readIncoming: () => void };
    corkFrameWrites({ connection: { muxer: mux } });
    const patched = mux._readIncoming;
    expect(corkFrameWrites({ connection: { muxer: mux } })).toBe(true);
    expect(mux._readIncoming).toBe(patched);
  });
});
