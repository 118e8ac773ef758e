import type { Writable } from 'node:stream';
import { FastPaths, SWITCHED_OFF } from '../config/fast-paths';

/** The parts of amqplib's frame multiplexer (lib/mux.js) this touches. */
interface Mux {
  out: Writable;
  _readIncoming: () => void;
  corked?: true;
}

/**
 * amqplib's multiplexer writes each frame it takes from a channel with its own
 * `socket.write`, and Node sends each at once: one syscall per publish, per
 * ack, per event (about 10 % of the service's busy time in the bench profile).
 * Corked for the length of one pass, everything the channels queued in that
 * turn of the event loop leaves in one `writev`. The same bytes in the same
 * order, at the same moment (the pass runs at setImmediate, as before).
 *
 * amqplib has no option for it, so this reaches one internal method; if its
 * shape ever changes the connection simply stays uncorked (returns false).
 */
export function corkFrameWrites(channelModel: unknown): boolean {
  const muxer = (channelModel as { connection?: { muxer?: Partial<Mux> } } | undefined)?.connection?.muxer;
  if (!muxer || typeof muxer._readIncoming !== 'function' || typeof muxer.out?.cork !== 'function') return false;
  if (muxer.corked) return true;
  const readIncoming = muxer._readIncoming;
  const mux = muxer as Mux;
  mux._readIncoming = function corkedReadIncoming(this: Mux) {
    this.out.cork();
    try {
      readIncoming.call(this);
    } finally {
      this.out.uncork();
    }
  };
  mux.corked = true;
  return true;
}

/**
 * Corks a new connection's frame writes unless FAST_PATHS=off, and tells `fastPaths` what came of it
 * (a decline other than the switch is logged at warn with its reason).
 */
export function corkFrameWritesIfAllowed(channelModel: unknown, fastPaths: FastPaths): void {
  if (!fastPaths.enabled) fastPaths.declined('amqp-corked-writes', SWITCHED_OFF);
  else if (corkFrameWrites(channelModel)) fastPaths.engaged('amqp-corked-writes');
  else
    fastPaths.declined(
      'amqp-corked-writes',
      "amqplib's frame multiplexer (lib/mux.js _readIncoming) is not as verified: frame writes stay uncorked",
    );
}
