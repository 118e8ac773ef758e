import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoadResult } from './load';

/**
 * The load generator in a process of its own: wrk (C, a fraction of the CPU
 * autocannon needs), so the targets, not the generator, set the pace. An
 * autocannon inside the bench's own Node process tops out near 6,000
 * requests a second on two cores and hides the difference between targets.
 */

export interface WrkLoad extends LoadResult {
  /** CPU seconds wrk itself used (user + system), read from its shell's waited-for children. */
  generatorCpuSeconds: number;
  /** The offered rate of a paced run (requests a second over all connections), else undefined. */
  offeredRate?: number;
}

let wrkPath: string | null | undefined;

/** wrk on PATH, installed from Debian's package when missing and this process may (root, apt-get present). */
export function findWrk(log: (line: string) => void = () => undefined): string | null {
  if (wrkPath !== undefined) return wrkPath;
  const which = () => spawnSync('sh', ['-c', 'command -v wrk'], { encoding: 'utf8' }).stdout.trim() || null;
  wrkPath = which();
  if (!wrkPath && process.getuid?.() === 0 && spawnSync('sh', ['-c', 'command -v apt-get']).status === 0) {
    log('wrk missing: installing Debian package wrk');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    let install = spawnSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', 'wrk'], { env, encoding: 'utf8' });
    if (install.status !== 0) {
      spawnSync('apt-get', ['update', '-q'], { env });
      install = spawnSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', 'wrk'], { env, encoding: 'utf8' });
    }
    wrkPath = which();
    if (!wrkPath) log(`wrk could not be installed: ${(install.stderr || install.stdout || '').trim().split('\n').at(-1)}`);
  }
  return wrkPath;
}

/** The Lua script: headers (with `[<id>]` a new id per request), optional pacing, one JSON line at the end. */
function script(headers: Record<string, string>, delayMs: number | undefined): string {
  const lua = (text: string) => JSON.stringify(text); // JSON string syntax is valid Lua for these (no control chars)
  const fixed = Object.entries(headers).filter(([, v]) => !v.includes('[<id>]'));
  const perRequest = Object.entries(headers).filter(([, v]) => v.includes('[<id>]'));
  return [
    ...fixed.map(([k, v]) => `wrk.headers[${lua(k)}] = ${lua(v)}`),
    'local counter = 0',
    'local prefix = tostring(math.random(1, 1e9))',
    'setup = function(thread) thread:set("seed", math.random(1, 1e9)) end',
    'init = function(args) prefix = tostring(seed or math.random(1, 1e9)) end',
    perRequest.length === 0
      ? ''
      : [
          'request = function()',
          '  counter = counter + 1',
          '  local id = prefix .. "-" .. counter',
          '  local h = {}',
          ...perRequest.map(([k, v]) => `  h[${lua(k)}] = string.gsub(${lua(v)}, "%[<id>%]", id)`),
          '  return wrk.format(nil, nil, h)',
          'end',
        ].join('\n'),
    delayMs === undefined ? '' : `delay = function() return ${delayMs.toFixed(3)} end`,
    'done = function(summary, latency, requests)',
    '  local e = summary.errors',
    '  io.write(string.format(\'WRK_JSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,' +
      '"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\\n\', summary.requests, summary.duration,' +
      ' latency:percentile(50), latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout))',
    'end',
  ].join('\n');
}

interface WrkJson {
  requests: number;
  duration_us: number;
  p50_us: number;
  p99_us: number;
  max_us: number;
  connect: number;
  read: number;
  write: number;
  status: number;
  timeout: number;
}

/**
 * Fixed connections for a fixed time. With `rate`, each connection waits
 * connections/rate seconds between its requests (wrk's delay()), so the
 * offered rate is about `rate` while the answers are fast (wrk measures from
 * send to answer: no correction for coordinated omission; the p99 of a
 * paced run reads as the answer time at that rate).
 */
export async function runWrk(
  wrk: string,
  url: string,
  connections: number,
  seconds: number,
  headers: Record<string, string> = {},
  rate?: number,
  threads = 1,
): Promise<WrkLoad> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-wrk-'));
  const luaFile = join(dir, 'bench.lua');
  const delayMs = rate === undefined ? undefined : (connections * 1000) / rate;
  writeFileSync(luaFile, script(headers, delayMs));
  const args = ['-t', String(Math.min(threads, connections)), '-c', String(connections), '-d', `${seconds}s`, '--timeout', '30s'];
  args.push('-s', luaFile, url);
  // The shell waits for wrk, then its own stat's cutime/cstime (fields 16, 17) are wrk's CPU.
  const shell = `"$0" "$@"; status=$?; echo "WRK_CPU $(cut -d' ' -f16,17 /proc/$$/stat)"; exit $status`;
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn('sh', ['-c', shell, wrk, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`wrk exited ${code}: ${text.trim().slice(-500)}`))));
  });
  const json = /^WRK_JSON (.+)$/m.exec(out)?.[1];
  const cpu = /^WRK_CPU (\d+) (\d+)$/m.exec(out);
  if (!json) throw new Error(`wrk printed no summary: ${out.trim().slice(-500)}`);
  const figures = JSON.parse(json) as WrkJson;
  const secondsRun = figures.duration_us / 1e6;
  const ok = figures.requests - figures.status;
  const ticks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
  return {
    seconds: secondsRun,
    reqPerSec: ok / secondsRun,
    ok,
    p50: Math.round(figures.p50_us / 100) / 10,
    p99: Math.round(figures.p99_us / 100) / 10,
    max: Math.round(figures.max_us / 100) / 10,
    errors: figures.connect + figures.read + figures.write,
    timeouts: figures.timeout,
    non2xx: figures.status,
    generatorCpuSeconds: cpu ? (Number(cpu[1]) + Number(cpu[2])) / ticks : NaN,
    offeredRate: rate,
  };
}
