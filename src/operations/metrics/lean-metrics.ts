import { Counter, Histogram, Metric, Registry, RegistryContentType } from 'prom-client';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { FastPaths } from '../../config/fast-paths';
import { SWITCHED_OFF } from '../../config/fast-paths';

/**
 * Counters and histograms for the metrics touched per request or per
 * message. prom-client's label-bound children still build a label/value
 * pair, validate the labels and hash them into a string key on every
 * `inc`/`observe`; here the label set is fixed when the child is made, so
 * an event is a field increment (and, for a histogram, a short bucket scan).
 *
 * They register in prom-client's Registry like its own metrics and answer
 * its calls (`getForPromString` for the text, `get` for getMetricsAsJSON,
 * `reset` for resetMetrics) with the very objects prom-client's Counter and
 * Histogram give, so the exposition stays byte for byte what it was:
 * series in the order they first counted (inc(0) included), and
 * gone again after a reset until they count again. lean-metrics.spec.ts
 * holds them side by side with prom-client's.
 *
 * Why not keep prom-client's metrics and flush local counts into them at
 * scrape time: that is exact for counters, but a histogram's sum would be
 * added in another order (rounded differently) than prom-client's per-event
 * sum, and it would still leave the flush cost and two copies of each series.
 */

type Labels = Record<string, string>;

/**
 * The prom-client versions whose Registry contract (registerMetric, getForPromString, get, reset,
 * sharedLabels, metricName, exemplar, aggregator) this was verified against: lean-metrics.spec.ts
 * compares the exposition with prom-client's own, and package.json pins the version exactly.
 */
const VERIFIED_PROM_CLIENT = /^15\.1\./;

/** Registries whose metrics are prom-client's own (FAST_PATHS=off, or prom-client not as verified). */
const plainRegistries = new WeakSet<Registry<RegistryContentType>>();

/** Why lean metrics cannot stand in for prom-client's here, or null when they can. */
export function leanMetricsDeclineReason(): string | null {
  try {
    const root = dirname(require.resolve('prom-client'));
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    if (!VERIFIED_PROM_CLIENT.test(version)) return `prom-client ${version} is not the 15.1 line lean metrics were verified against`;
    if (typeof Registry.prototype.registerMetric !== 'function' || typeof Registry.prototype.getMetricsAsJSON !== 'function') {
      return "prom-client's Registry has no registerMetric/getMetricsAsJSON";
    }
    return null;
  } catch (error) {
    return `prom-client's version not readable: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/**
 * Decides, once per service, whether the metrics registered in `registry` are lean or prom-client's
 * own Counter and Histogram (the same names, labels and exposition), and tells `fastPaths`.
 */
export function chooseLeanMetrics(registry: Registry<RegistryContentType>, fastPaths: FastPaths): void {
  const reason = fastPaths.enabled ? leanMetricsDeclineReason() : SWITCHED_OFF;
  if (reason === null) {
    plainRegistries.delete(registry);
    fastPaths.engaged('lean-metrics');
  } else {
    plainRegistries.add(registry);
    fastPaths.declined('lean-metrics', `${reason}: prom-client's Counter and Histogram count instead`);
  }
}

/** A series as prom-client's Registry reads it (Counter: value and labels; Histogram adds the rest). */
interface SeriesValue {
  labels: Record<string, string | number>;
  sharedLabels?: Labels;
  value: number;
  metricName?: string;
  exemplar?: null;
}

interface MetricData {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  values: SeriesValue[];
  aggregator: 'sum';
}

abstract class LeanMetric<Child extends { shown: boolean }> {
  /** Not readonly: an OpenMetrics registry rewrites counter names in place, as it does prom-client's. */
  name: string;
  readonly help: string;
  readonly aggregator = 'sum' as const;
  protected readonly labelNames: readonly string[];
  /** The series shown, in the order they first counted: prom-client's hashMap keeps insertion order too. */
  protected series: Child[] = [];
  private readonly children = new Map<string, Child>();
  /** prom-client's own metric counts instead (chooseLeanMetrics): this one is not registered. */
  protected readonly plain: boolean;

  constructor(config: { name: string; help: string; labelNames: readonly string[]; registers: Registry<RegistryContentType>[] }) {
    // A label-less prom-client metric shows a zero series before any event; nothing here needs that case.
    if (config.labelNames.length === 0) throw new Error(`${config.name}: lean metrics need at least one label`);
    this.name = config.name;
    this.help = config.help;
    this.labelNames = config.labelNames;
    this.plain = config.registers.some((registry) => plainRegistries.has(registry));
    if (!this.plain) for (const registry of config.registers) registry.registerMetric(this as unknown as Metric);
  }

  /** The child for these label values (in labelNames order), made once: keep it and count on it. */
  child(...values: string[]): Child {
    if (values.length !== this.labelNames.length) {
      throw new Error(`${this.name}: ${values.length} label values for ${this.labelNames.length} labels`);
    }
    const key = values.join('\u0000');
    let child = this.children.get(key);
    if (!child) {
      const labels: Labels = {};
      this.labelNames.forEach((name, i) => (labels[name] = values[i]));
      child = this.make(labels);
      this.children.set(key, child);
    }
    return child;
  }

  /** A child's first count since it was made or reset: its series appears, after those already shown. */
  show(child: Child): void {
    child.shown = true;
    this.series.push(child);
  }

  /** For the text exposition (Registry.getMetricsAsString). */
  abstract getForPromString(): Promise<MetricData>;

  /** For getMetricsAsJSON, shaped as prom-client's own get(). */
  abstract get(): Promise<MetricData>;

  /** resetMetrics: every series gone until it counts again, as prom-client empties its hashMap. */
  reset(): void {
    const series = this.series;
    this.series = [];
    for (const child of series) this.clear(child);
  }

  protected abstract make(labels: Labels): Child;
  protected abstract clear(child: Child): void;

  protected data(type: MetricData['type'], values: SeriesValue[]): MetricData {
    return { name: this.name, help: this.help, type, values, aggregator: this.aggregator };
  }
}

export class LeanCounterChild {
  value = 0;
  shown = false;

  constructor(
    private readonly owner: LeanCounter,
    readonly labels: Labels,
  ) {}

  inc(): void {
    if (!this.shown) this.owner.show(this);
    this.value++;
  }
}

/** A child counting on prom-client's Counter (plain metrics). */
class PlainCounterChild extends LeanCounterChild {
  constructor(
    owner: LeanCounter,
    labels: Labels,
    private readonly counter: Counter,
  ) {
    super(owner, labels);
  }

  override inc(): void {
    this.counter.labels(this.labels).inc();
  }
}

export class LeanCounter extends LeanMetric<LeanCounterChild> {
  readonly type = 'counter' as const;
  private readonly promCounter?: Counter;

  constructor(config: { name: string; help: string; labelNames: readonly string[]; registers: Registry<RegistryContentType>[] }) {
    super(config);
    if (this.plain) this.promCounter = new Counter({ ...config, labelNames: [...config.labelNames] });
  }

  /** The child, its series shown (at 0 if new) as prom-client's `inc(0)` does: for series that must exist from the start. */
  zeroed(...values: string[]): LeanCounterChild {
    const child = this.child(...values);
    if (this.promCounter) this.promCounter.labels(child.labels).inc(0);
    else if (!child.shown) this.show(child);
    return child;
  }

  getForPromString(): Promise<MetricData> {
    return this.get();
  }

  get(): Promise<MetricData> {
    // New entries per call, shaped as Counter's { value, labels }: getMetricsAsJSON swaps in labels of its own, which must not stick to the child.
    return Promise.resolve(
      this.data(
        this.type,
        this.series.map((c) => ({ value: c.value, labels: c.labels })),
      ),
    );
  }

  protected make(labels: Labels): LeanCounterChild {
    return this.promCounter ? new PlainCounterChild(this, labels, this.promCounter) : new LeanCounterChild(this, labels);
  }

  protected clear(child: LeanCounterChild): void {
    child.shown = false;
    child.value = 0;
  }
}

export class LeanHistogramChild {
  /** Per bucket, not cumulative: an observation above every bound only counts in +Inf (count), as in prom-client. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  shown = false;

  constructor(
    private readonly owner: LeanHistogram,
    private readonly bounds: Float64Array,
    readonly labels: Labels,
  ) {
    this.counts = new Float64Array(bounds.length);
  }

  observe(seconds: number): void {
    if (!Number.isFinite(seconds)) throw new TypeError(`Value is not a valid number: ${seconds}`);
    if (!this.shown) this.owner.show(this);
    const bounds = this.bounds;
    const n = bounds.length;
    let i = 0;
    while (i < n && seconds > bounds[i]) i++;
    if (i < n) this.counts[i]++;
    this.sum += seconds;
    this.count++;
  }
}

/** A child observing on prom-client's Histogram (plain metrics). */
class PlainHistogramChild extends LeanHistogramChild {
  constructor(
    owner: LeanHistogram,
    bounds: Float64Array,
    labels: Labels,
    private readonly histogram: Histogram,
  ) {
    super(owner, bounds, labels);
  }

  override observe(seconds: number): void {
    this.histogram.labels(this.labels).observe(seconds);
  }
}

export class LeanHistogram extends LeanMetric<LeanHistogramChild> {
  readonly type = 'histogram' as const;
  private readonly upperBounds: readonly number[];
  private readonly bounds: Float64Array;
  private readonly promHistogram?: Histogram;

  constructor(config: {
    name: string;
    help: string;
    labelNames: readonly string[];
    buckets: readonly number[];
    registers: Registry<RegistryContentType>[];
  }) {
    // prom-client keys bucket counts by bound and takes the first bound at or above a value: with bounds out of order or repeated the two would part.
    for (let i = 1; i < config.buckets.length; i++) {
      if (!(config.buckets[i] > config.buckets[i - 1])) throw new Error(`${config.name}: buckets must increase`);
    }
    if (config.labelNames.includes('le')) throw new Error('le is a reserved label keyword');
    super(config);
    this.upperBounds = [...config.buckets];
    this.bounds = Float64Array.from(config.buckets);
    if (this.plain) this.promHistogram = new Histogram({ ...config, labelNames: [...config.labelNames], buckets: [...config.buckets] });
  }

  getForPromString(): Promise<MetricData> {
    // The shape of prom-client's extractBucketValuesForExport and addSumAndCountForExport; the labels ride as sharedLabels.
    const bucketName = `${this.name}_bucket`;
    const values: SeriesValue[] = [];
    for (const child of this.series) {
      const shared = child.labels;
      let acc = 0;
      for (let i = 0; i < this.upperBounds.length; i++) {
        acc += child.counts[i];
        values.push(pair({ le: this.upperBounds[i] }, acc, bucketName, null, shared));
      }
      values.push(
        pair({ le: '+Inf' }, child.count, bucketName, null, shared),
        pair({}, child.sum, `${this.name}_sum`, undefined, shared),
        pair({}, child.count, `${this.name}_count`, undefined, shared),
      );
    }
    return Promise.resolve(this.data(this.type, values));
  }

  async get(): Promise<MetricData> {
    // Histogram.get: the same values with the series' labels merged in (splayLabels).
    const data = await this.getForPromString();
    data.values = data.values.map(({ sharedLabels, labels, ...rest }) => ({ ...rest, labels: Object.assign(labels, sharedLabels) }));
    return data;
  }

  protected make(labels: Labels): LeanHistogramChild {
    return this.promHistogram
      ? new PlainHistogramChild(this, this.bounds, labels, this.promHistogram)
      : new LeanHistogramChild(this, this.bounds, labels);
  }

  protected clear(child: LeanHistogramChild): void {
    child.shown = false;
    child.counts.fill(0);
    child.sum = 0;
    child.count = 0;
  }
}

function pair(
  labels: SeriesValue['labels'],
  value: number,
  metricName: string,
  exemplar: null | undefined,
  sharedLabels: Labels,
): SeriesValue {
  return { labels, sharedLabels, value, metricName, exemplar };
}
