import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runHeldMemory } from './held-memory';
import { runHostileMemory } from './hostile-memory';
import { hostileAuthTable, runHostileAuth } from './hostile-auth';
import { KNOBS, readOptions } from './options';
import { runSweepCost } from './sweep-cost';
import { runThroughput } from './throughput';
import { BenchBroker } from './support/bench-broker';
import { compileBenchTargets, ensureServiceBuilt } from './support/build';
import { RESULTS_DIR, ROOT } from './support/paths';
import { killAll } from './support/processes';
import { BenchResult, describeMachine, machineInfo, renderMarkdown, renderText, sourceInfo, tables } from './support/report';
import { routingKeysFor } from '../src/wire/vumi-topology';
import { redactUrl } from '../src/config/url-redaction';

/** AMQP_URL may list a cluster's nodes, comma-separated: each is redacted as the service's logs do. */
const redactUrlList = (urls: string) =>
  urls
    .split(',')
    .map((url) => redactUrl(url.trim()))
    .join(',');

/**
 * `npm run bench`: the service against the bare-minimum baseline
 * (bench/baseline.ts) on the same machine and broker, in one run: throughput
 * and latency in both modes, held-request memory, the time-out sweep's cost.
 * Prints a table and writes bench/results/latest.json (and latest.md).
 */

const began = Date.now();
function log(line: string): void {
  const seconds = ((Date.now() - began) / 1000).toFixed(0).padStart(4);
  process.stdout.write(`[${seconds}s] ${line}\n`);
}

/** Every queue this run may have declared, even by a target that failed to start. */
function runQueues(runId: string): string[] {
  const parts = ['fire', 'reply', 'held', 'hostile', 'hostile_held', 'hostile_flood', 'hostile_flood_nokeys', 'hostile_fair'];
  const names = ['service', 'baseline'].flatMap((kind) => parts.map((m) => `${runId}_${kind}_${m}`));
  return names.flatMap((name) => {
    const keys = routingKeysFor(name);
    return [keys.inbound, keys.event, keys.outbound, keys.status];
  });
}

async function main(): Promise<void> {
  const options = readOptions();
  const result: BenchResult = { date: new Date().toISOString(), machine: machineInfo(), source: sourceInfo(ROOT), options };
  log(`benchmark ${options.runId}: ${describeMachine(result.machine)}`);
  const { commit, dirty } = result.source;
  if (commit) log(`service at ${commit}${dirty ? ' with uncommitted changes in src/' : ''}`);
  log(`parts ${options.parts.join(', ')}${options.quick ? ' (quick)' : ''}; broker ${redactUrlList(options.amqpUrl)}`);
  const serviceSettings = describeServiceEnv(options.serviceEnv);
  if (serviceSettings) log(`service settings beyond the defaults (BENCH_SERVICE_ENV): ${serviceSettings}`);
  if (options.entry === 'dist' && ensureServiceBuilt(log)) log('service built');
  const compiled = compileBenchTargets();
  const broker = await BenchBroker.connect(options.amqpUrl);
  onInterrupt = () => broker.deleteQueues(runQueues(options.runId));
  try {
    if (options.parts.includes('throughput')) {
      result.throughput = await runThroughput(options, compiled.baseline, broker, log);
    }
    if (options.parts.includes('held')) result.heldMemory = await runHeldMemory(options, compiled, broker, log);
    if (options.parts.includes('sweep')) result.sweepCost = runSweepCost(log);
    if (options.parts.includes('hostile')) result.hostileAuth = await runHostileAuth(options, compiled, broker, log);
    if (options.parts.includes('hostile')) {
      Object.assign(result, { hostileMemory: await runHostileMemory(options, compiled, broker, log) });
    }
  } finally {
    await broker.deleteQueues(runQueues(options.runId));
    await broker.close();
  }
  result.seconds = (Date.now() - began) / 1000;
  mkdirSync(RESULTS_DIR, { recursive: true });
  const json = `${JSON.stringify(result, null, 2)}\n`;
  writeFileSync(join(RESULTS_DIR, 'latest.json'), json);
  // One file per run as well, for trends (bench/results/ is git-ignored; CI keeps them as artifacts).
  writeFileSync(join(RESULTS_DIR, `run-${result.date.replace(/[:.]/g, '-')}.json`), json);
  const rendered = tables(result);
  if (result.hostileAuth) rendered.push(hostileAuthTable(result.hostileAuth));
  writeFileSync(
    join(RESULTS_DIR, 'latest.md'),
    `Run of ${result.date} on ${describeMachine(result.machine)}; service at ${result.source.commit ?? 'unknown'}` +
      `${result.source.dirty ? ' (uncommitted changes in src/)' : ''}` +
      `${serviceSettings ? `; service settings beyond the defaults: ${serviceSettings}` : ''}` +
      `\n\n${rendered.map(renderMarkdown).join('\n\n')}\n`,
  );
  process.stdout.write(`\n${rendered.map(renderText).join('\n\n')}\n\n`);
  log(`done in ${result.seconds.toFixed(0)} s; bench/results/latest.json (and run-<date>.json), latest.md written`);
}

const SECRET_SETTING = /PASSWORD|TOKEN|SECRET|CALLERS|HASH/;

/** `NAME=value` pairs of the service's extra settings, or '' (the ratios of such a run are not the defaults'). */
function describeServiceEnv(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([name, value]) => `${name}=${SECRET_SETTING.test(name) ? '***' : redactUrlList(value)}`)
    .join(' ');
}

/** Deletes this run's queues when it is interrupted (set once the broker connection is up). */
let onInterrupt: (() => Promise<void>) | undefined;

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAll();
    const giveUp = new Promise((resolve) => setTimeout(resolve, 3000));
    void Promise.race([onInterrupt?.(), giveUp]).finally(() => process.exit(130));
  });
}

main().catch((error) => {
  killAll();
  process.stderr.write(`bench failed: ${(error as Error)?.stack ?? error}\n${KNOBS}\n`);
  process.exit(1);
});
