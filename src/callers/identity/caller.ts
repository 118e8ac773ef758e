import { TRANSPORT_METADATA_KEY } from '../../wire/vumi-message';
import { CallerRateLimit } from '../../config/caller-entries';

/** An authenticated caller, as BasicAuthGuard puts it on the request. */
export interface Caller {
  readonly name: string;
  /** Its own limit; undefined = RATE_LIMIT_RATE/RATE_LIMIT_BURST. */
  readonly rateLimit?: CallerRateLimit;
  /** FIELD_DEFAULTS overlaid with its own field_defaults; undefined = FIELD_DEFAULTS alone. */
  readonly fieldDefaults?: ReadonlyArray<readonly [string, string]>;
}

/** The slice of a request that carries its caller. */
export interface CallerBearer {
  caller?: Caller;
}

export function attachCaller(request: object, caller: Caller): void {
  (request as CallerBearer).caller = caller;
}

export function callerOf(request: object): Caller | undefined {
  return (request as CallerBearer).caller;
}

/**
 * Where the inbound message records who sent it: helper_metadata (beside
 * the transport's own key), never a field applications read as content.
 */
export function callerHelperMetadata(caller: Caller | undefined): Record<string, unknown> | undefined {
  return caller ? { [TRANSPORT_METADATA_KEY]: { caller: caller.name } } : undefined;
}
