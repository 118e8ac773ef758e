import { MetricsReader } from '../support/metrics-scrape';
import { AMQP_URL, ServiceProcess } from '../support/service-process';
import { VumiPeer } from '../support/vumi-peer';

/**
 * Bounded amplification on the outbound side (issue 21): a flood of bad
 * messages is a bounded number of log lines, the rest counted; a megabyte id
 * is copied into no log line and no event.
 */

const P = 'vumi_http_api_';
const FLOOD = 2_000;
/** The longest line or event we accept: a few kB (a 1 MB id used to make 2 MB of each). */
const FEW_KB = 4 * 1024;

describe('outbound messages that amplify', () => {
  let service: ServiceProcess;
  let peer: VumiPeer;
  let metrics: MetricsReader;

  beforeEach(async () => {
    service = await ServiceProcess.start({ REPLY_EXPECTED: 'true', MAX_OUTBOUND_MESSAGE_BYTES: String(2 * 1024 * 1024) });
    peer = await VumiPeer.connect(AMQP_URL, service.transportName);
    metrics = new MetricsReader(service.path(service.config.metricsPath));
  });

  afterEach(async () => {
    await service?.stop();
    await peer?.destroy();
  });

  const lines = (text: string) =>
    service
      .output()
      .split('\n')
      .filter((line) => line.includes(text));

  it(`${FLOOD} malformed messages: a handful of lines, the rest counted as suppressed`, async () => {
    for (let i = 0; i < FLOOD; i++) await peer.publishOutbound('x'.repeat(100));
    expect(await metrics.waitFor(`${P}outbound_malformed_total`, { reason: 'not_json' }, FLOOD, 60_000)).toBe(FLOOD);
    const written = lines('Dropping malformed outbound message').length;
    const suppressed = await metrics.value(`${P}log_lines_suppressed_total`, { kind: 'outbound_malformed' });
    // One line per 10 s: the flood takes seconds, so a few lines at most, and every message is one or the other.
    expect(written).toBeGreaterThanOrEqual(1);
    expect(written).toBeLessThanOrEqual(10);
    expect(written + suppressed).toBe(FLOOD);
    expect(await peer.depth(peer.keys.outbound)).toBe(0);
  });

  it(`${FLOOD} unmatched replies: every one nacked, a handful of nack lines, the rest counted`, async () => {
    for (let i = 0; i < FLOOD; i++) await peer.publishOutbound({ message_id: `m${i}`, in_reply_to: 'nobody', content: 'x' });
    expect(await metrics.waitFor(`${P}events_published_total`, { event_type: 'nack' }, FLOOD, 60_000)).toBe(FLOOD);
    const written = lines('Nack for outbound message').length;
    expect(written).toBeLessThanOrEqual(10);
    expect(written + (await metrics.value(`${P}log_lines_suppressed_total`, { kind: 'outbound_nack' }))).toBe(FLOOD);
  });

  it('a 1 MB message_id: dropped as malformed, no line and no event over a few kB; a 1 MB in_reply_to: a small nack', async () => {
    const huge = 'm'.repeat(1_000_000);
    await peer.publishOutbound({ message_id: huge, in_reply_to: 'a', content: 'b' });
    expect(await metrics.waitFor(`${P}outbound_malformed_total`, { reason: 'no_message_id' }, 1)).toBe(1);
    await peer.publishOutbound({ message_id: 'short-id', in_reply_to: huge, content: 'b' });
    const nack = await peer.nextRaw(peer.keys.event, 10_000);
    expect(nack.content.length).toBeLessThan(FEW_KB);
    expect(JSON.parse(nack.content.toString('utf8'))).toMatchObject({
      event_type: 'nack',
      user_message_id: 'short-id',
      nack_reason: 'Invalid fields: in_reply_to',
    });
    expect(await peer.depth(peer.keys.event)).toBe(0); // nothing for the malformed one
    const longest = Math.max(
      ...service
        .output()
        .split('\n')
        .map((line) => Buffer.byteLength(line)),
    );
    expect(longest).toBeLessThan(FEW_KB);
  });
});
