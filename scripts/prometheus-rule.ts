/**
 * Writes k8s/components/prometheusrule/prometheusrule.yaml from
 * docs/prometheus-alerts.yml, so the Prometheus Operator gets exactly the
 * rules a plain Prometheus loads. Run after editing the alert rules:
 *   node -r ts-node/register/transpile-only scripts/prometheus-rule.ts
 * (test/deploy-manifests.e2e-spec.ts fails while the two differ.)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dump, load } from 'js-yaml';

const root = join(__dirname, '..');
const rules = load(readFileSync(join(root, 'docs/prometheus-alerts.yml'), 'utf8')) as { groups: unknown[] };
const rule = {
  apiVersion: 'monitoring.coreos.com/v1',
  kind: 'PrometheusRule',
  metadata: { name: 'vumi-http-api-transport', labels: { 'app.kubernetes.io/name': 'vumi-http-api-transport' } },
  spec: { groups: rules.groups },
};
const header =
  '# GENERATED from docs/prometheus-alerts.yml by scripts/prometheus-rule.ts: edit those\n' +
  '# rules, then run the script. A Prometheus whose ruleSelector matches these labels loads it\n' +
  '# (kube-prometheus-stack selects on `release`: add k8s/components/kube-prometheus-stack after this one).\n';
writeFileSync(join(root, 'k8s/components/prometheusrule/prometheusrule.yaml'), header + dump(rule, { lineWidth: 120, noRefs: true }));
