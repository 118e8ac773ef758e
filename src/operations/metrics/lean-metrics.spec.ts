import { Counter, Histogram, Registry, RegistryContentType } from 'prom-client';
import { LeanCounter, LeanHistogram } from './lean-metrics';

const BUCKETS = [0.001, 0.005, 0.01, 0.1, 1];

/** prom-client's metrics in one registry, the lean ones in another, under the same names: the exposition must not tell them apart. */
function pairOf(contentType: RegistryContentType = Registry.PROMETHEUS_CONTENT_TYPE) {
  // The typings bind a registry's content type to its type parameter and declare no constructor argument.
  const prom = new Registry<RegistryContentType>();
  const lean = new Registry<RegistryContentType>();
  for (const registry of [prom, lean]) {
    registry.setContentType(contentType);
    registry.setDefaultLabels({ transport_name: 'http_api' });
  }
  const help = 'Help with a \\ backslash\nand a new line.';
  const promCounter = new Counter({ name: 'test_requests_total', help, labelNames: ['method', 'status'], registers: [prom] });
  const promHistogram = new Histogram({
    name: 'test_duration_seconds',
    help,
    labelNames: ['outcome'],
    buckets: BUCKETS,
    registers: [prom],
  });
  const leanCounter = new LeanCounter({ name: 'test_requests_total', help, labelNames: ['method', 'status'], registers: [lean] });
  const leanHistogram = new LeanHistogram({
    name: 'test_duration_seconds',
    help,
    labelNames: ['outcome'],
    buckets: BUCKETS,
    registers: [lean],
  });
  return {
    prom,
    lean,
    inc(method: string, status: string) {
      promCounter.labels(method, status).inc();
      leanCounter.child(method, status).inc();
    },
    zero(method: string, status: string) {
      promCounter.labels(method, status).inc(0);
      leanCounter.zeroed(method, status);
    },
    observe(outcome: string, seconds: number) {
      promHistogram.labels(outcome).observe(seconds);
      leanHistogram.child(outcome).observe(seconds);
    },
    /** A child made, never counted: no series on either side. */
    untouched() {
      promCounter.labels('PUT', '204');
      promHistogram.labels('never');
      leanCounter.child('PUT', '204');
      leanHistogram.child('never');
    },
  };
}

async function expectSame(prom: Registry<RegistryContentType>, lean: Registry<RegistryContentType>): Promise<string> {
  const text = await prom.metrics();
  expect(await lean.metrics()).toBe(text);
  expect(await lean.getMetricsAsJSON()).toStrictEqual(await prom.getMetricsAsJSON());
  // prom-client's getMetricsAsJSON rewrites its stored counter labels: the text must survive that too.
  expect(await lean.metrics()).toBe(await prom.metrics());
  return text;
}

describe('lean metrics', () => {
  it('shows nothing but HELP and TYPE before any event, and nothing for children never counted', async () => {
    const m = pairOf();
    m.untouched();
    const text = await expectSame(m.prom, m.lean);
    expect(text).not.toContain('test_requests_total{');
    expect(text).not.toContain('test_duration_seconds_bucket');
  });

  it('matches prom-client on several label sets, bucket bounds, +Inf and first-seen order', async () => {
    const m = pairOf();
    m.untouched();
    m.zero('POST', '200');
    m.observe('failed', 0.005); // exactly on a bound
    m.observe('confirmed', 0.001);
    m.observe('confirmed', 0);
    m.observe('confirmed', 7); // above every bound: +Inf only
    m.observe('failed', 0.0050000001);
    m.inc('GET', '404');
    m.inc('POST', '200');
    m.inc('POST', '200');
    m.inc('other', '499');
    m.zero('GET', '404'); // already shown: stays where and what it is
    const text = await expectSame(m.prom, m.lean);
    expect(text).toContain('test_duration_seconds_bucket{le="0.005",transport_name="http_api",outcome="failed"} 1');
    expect(text).toContain('test_duration_seconds_bucket{le="+Inf",transport_name="http_api",outcome="confirmed"} 3');
    expect(text).toContain('test_requests_total{method="POST",status="200",transport_name="http_api"} 2');
    expect(text.indexOf('outcome="failed"')).toBeLessThan(text.indexOf('outcome="confirmed"'));
  });

  it('sums exactly as prom-client over many observations', async () => {
    const m = pairOf();
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 1.5;
    for (let i = 0; i < 10000; i++) {
      m.observe(i % 3 === 0 ? 'failed' : 'confirmed', random());
      if (i % 7 === 0) m.inc(i % 2 ? 'GET' : 'POST', String(200 + (i % 5)));
    }
    m.observe('confirmed', 0.1 + 0.2);
    await expectSame(m.prom, m.lean);
  });

  it('forgets every series on resetMetrics and shows them again, in their new order, once they count', async () => {
    const m = pairOf();
    m.zero('POST', '200');
    m.inc('GET', '200');
    m.observe('confirmed', 0.01);
    m.observe('failed', 0.2);
    m.prom.resetMetrics();
    m.lean.resetMetrics();
    await expectSame(m.prom, m.lean);
    m.observe('failed', 0.0001);
    m.inc('GET', '200');
    m.observe('confirmed', 0.5);
    await expectSame(m.prom, m.lean);
  });

  it('matches on an OpenMetrics registry too', async () => {
    const m = pairOf(Registry.OPENMETRICS_CONTENT_TYPE);
    m.inc('GET', '200');
    m.observe('confirmed', 0.02);
    await expectSame(m.prom, m.lean);
  });

  it('refuses what prom-client refuses', () => {
    const registers: Registry[] = [];
    const histogram = new LeanHistogram({ name: 'h', help: 'h', labelNames: ['a'], buckets: BUCKETS, registers });
    expect(() => histogram.child('x').observe(NaN)).toThrow(TypeError);
    expect(() => histogram.child('x', 'y')).toThrow();
    expect(() => new LeanHistogram({ name: 'h', help: 'h', labelNames: ['le'], buckets: BUCKETS, registers })).toThrow();
    expect(() => new LeanHistogram({ name: 'h', help: 'h', labelNames: ['a'], buckets: [1, 0.5], registers })).toThrow();
  });
});
