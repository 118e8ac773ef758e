import { Logger } from '@nestjs/common';

/** The fast paths that reach into a library's private internals (docs/performance.md says what each is worth). */
export type FastPathName = 'http-route-shortcut' | 'amqp-publish-frames' | 'amqp-corked-writes' | 'lean-metrics';

export const FAST_PATH_NAMES: readonly FastPathName[] = [
  'http-route-shortcut',
  'amqp-publish-frames',
  'amqp-corked-writes',
  'lean-metrics',
];

/**
 * What became of each fast path in one service: on, or declined with the reason (FAST_PATHS=off,
 * or its self-check at boot found the library's internals not as verified). A decline is logged
 * once at warn; `/health` (`fast_paths`) and `vumi_http_api_fast_path{path}` show the ones on, and
 * test/internals-canary.e2e-spec.ts asserts that all of them are on with the pinned versions.
 */
export class FastPaths {
  private readonly logger = new Logger('FastPaths');
  private readonly engagedPaths = new Set<FastPathName>();
  private readonly declines = new Map<FastPathName, string>();

  constructor(readonly enabled: boolean) {}

  /** Records `name` as on, once its self-check passed and it is installed. */
  engaged(name: FastPathName): void {
    this.declines.delete(name);
    this.engagedPaths.add(name);
  }

  /** Records `name` as off; a decline other than FAST_PATHS=off is logged at warn, once. */
  declined(name: FastPathName, reason: string): void {
    this.engagedPaths.delete(name);
    if (this.declines.get(name) === reason) return;
    this.declines.set(name, reason);
    if (this.enabled)
      this.logger.warn({ msg: `Fast path ${name} off: ${reason}; the library's public API is used instead`, fastPath: name });
  }

  /** The fast paths on now, in FAST_PATH_NAMES order. */
  get on(): FastPathName[] {
    return FAST_PATH_NAMES.filter((name) => this.engagedPaths.has(name));
  }
}

const byConfig = new WeakMap<object, FastPaths>();

/** The one FastPaths of the service whose configuration is `config` (FAST_PATHS decides `enabled`). */
export function fastPathsFor(config: { fastPaths: 'on' | 'off' }): FastPaths {
  let paths = byConfig.get(config);
  if (!paths) {
    paths = new FastPaths(config.fastPaths === 'on');
    byConfig.set(config, paths);
  }
  return paths;
}

/** The reason every fast path gives when FAST_PATHS=off. */
export const SWITCHED_OFF = 'FAST_PATHS=off';
