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

/**
 * Constant-rate pacing, as wrk2 paces: the thread's n-th request is due `n x intervalMs` after its
 * first, and delay() waits until then (0 when late, so a slow answer does not lower the offered
 * rate). A fixed delay() after each answer would offer `connections / (delay + latency)`: less to a
 * slower target, so two targets would not get the same rate. The clock is CLOCK_MONOTONIC through
 * LuaJIT's FFI (wrk's Lua has no wall clock finer than a second); wrk waits whole milliseconds, so a
 * request may go up to 1 ms early, never accumulating: the schedule, not the wait, sets the rate.
 */
function pacing(intervalMs: number): string {
  return [
    'local ffi = require("ffi")',
    'ffi.cdef[[ typedef struct { long tv_sec; long tv_nsec; } bench_timespec; int clock_gettime(int, bench_timespec *); ]]',
    'local clock = ffi.new("bench_timespec")',
    'local function now_ms() ffi.C.clock_gettime(1, clock) return tonumber(clock.tv_sec) * 1000 + tonumber(clock.tv_nsec) / 1e6 end',
    `local interval = ${intervalMs.toFixed(6)}`,
    'local due = nil',
    'delay = function()',
    '  local now = now_ms()',
    '  if due == nil then due = now end',
    '  local wait = due - now',
    '  due = due + interval',
    '  if wait < 0 then return 0 end',
    '  return wait',
    'end',
  ].join('\n');
}

/** The Lua script: headers (with `[<id>]` a new id per request), optional pacing, one JSON line at the end. */
function script(headers: Record<string, string>, intervalMs: number | undefined): string {
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
    intervalMs === undefined ? '' : pacing(intervalMs),
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
 * Fixed connections for a fixed time. With `rate`, requests go out on a
 * constant-rate schedule (pacing above), so both targets are offered the
 * same rate whatever their latency, as long as the connections suffice (wrk
 * measures from send to answer: no correction for coordinated omission; the
 * p99 of a paced run reads as the answer time at that rate).
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
  const threadCount = Math.min(threads, connections);
  // Each thread paces its own share of the rate.
  const intervalMs = rate === undefined ? undefined : (threadCount * 1000) / rate;
  writeFileSync(luaFile, script(headers, intervalMs));
  const args = ['-t', String(threadCount), '-c', String(connections), '-d', `${seconds}s`, '--timeout', '30s'];
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
