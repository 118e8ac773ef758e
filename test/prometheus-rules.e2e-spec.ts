import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { load } from 'js-yaml';

/**
 * The alert rules as Prometheus itself reads them: `promtool check rules`, and
 * `promtool test rules` on test/fixtures/prometheus-alerts.test.yml (series in,
 * alerts out, with their labels and annotations). promtool is required, not
 * optional: scripts/promtool.sh prints its path, unpacking Debian's package
 * into .cache/ the first time (.ci/run calls it before the tests).
 * Also: every rule links its section of docs/runbook.md, and every section is an alert's.
 */
const ROOT = resolve(__dirname, '..');
const RULES = join(ROOT, 'docs/prometheus-alerts.yml');
const UNIT_TESTS = join(ROOT, 'test/fixtures/prometheus-alerts.test.yml');
const RUNBOOK = join(ROOT, 'docs/runbook.md');

interface Rule {
  alert: string;
  expr: string;
  annotations: Record<string, string>;
}
interface UnitTests {
  rule_files: string[];
  tests: Array<{ alert_rule_test: Array<{ alertname: string; exp_alerts: unknown[] }> }>;
}

const rules = (load(readFileSync(RULES, 'utf8')) as { groups: Array<{ rules: Rule[] }> }).groups.flatMap((group) => group.rules);
const unitTests = load(readFileSync(UNIT_TESTS, 'utf8')) as UnitTests;

function promtool(...args: string[]): { status: number | null; output: string } {
  const path = execFileSync('bash', [join(ROOT, 'scripts/promtool.sh')], { encoding: 'utf8', timeout: 120_000 }).trim();
  const run = spawnSync(path, args, { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  if (run.error) throw run.error;
  return { status: run.status, output: run.stdout + run.stderr };
}

describe('Prometheus alert rules (promtool)', () => {
  it('pass `promtool check rules`', () => {
    const { status, output } = promtool('check', 'rules', RULES);
    expect([status, output]).toEqual([0, expect.stringContaining(`SUCCESS: ${rules.length} rules found`)]);
  });

  it('pass their unit tests (`promtool test rules`), which load docs/prometheus-alerts.yml', () => {
    expect(unitTests.rule_files.map((file) => resolve(ROOT, 'test/fixtures', file))).toEqual([RULES]);
    const { status, output } = promtool('test', 'rules', UNIT_TESTS);
    expect([status, output]).toEqual([0, expect.stringContaining('SUCCESS')]);
  });

  it('the unit tests see each alert on absence, the target, the broker, the inbound consumers and Redis fire, and stay quiet', () => {
    const cases = unitTests.tests.flatMap((test) => test.alert_rule_test);
    for (const alert of [
      'VumiHttpApiBrokerDown',
      'VumiHttpApiTargetDown',
      'VumiHttpApiTargetAbsent',
      'VumiHttpApiMetricsAbsent',
      'VumiHttpApiInboundNotConsumed',
      'VumiHttpApiRedisDown',
    ]) {
      const outcomes = new Set(cases.filter((c) => c.alertname === alert).map((c) => (c.exp_alerts.length > 0 ? 'fires' : 'quiet')));
      expect([alert, [...outcomes].sort()]).toEqual([alert, ['fires', 'quiet']]);
    }
    // The rules alert on a target that is down and on one that is absent, and on metrics that are absent.
    expect(rules.map((rule) => rule.expr)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^up\{job="[^"]+"\} == 0$/),
        expect.stringMatching(/^absent\(up\{/),
        'absent(vumi_http_api_info)',
      ]),
    );
  });

  it('every rule links its own section of docs/runbook.md, and every section is an alert', () => {
    const headings = [...readFileSync(RUNBOOK, 'utf8').matchAll(/^## (\S+)$/gm)].map((match) => match[1]);
    expect([...headings].sort()).toEqual(rules.map((rule) => rule.alert).sort());
    for (const rule of rules) {
      // GitHub's anchor of `## VumiHttpApiBrokerDown` is `#vumihttpapibrokerdown`.
      expect([rule.alert, rule.annotations.runbook_url]).toEqual([
        rule.alert,
        expect.stringMatching(new RegExp(`/docs/runbook\\.md#${rule.alert.toLowerCase()}$`)),
      ]);
    }
  });
});
