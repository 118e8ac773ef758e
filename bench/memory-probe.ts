/**
 * Preloaded (`node --expose-gc -r .../memory-probe.js target.js`) into a
 * benchmark target that was spawned with an IPC channel, so the held-request
 * benchmark can read its heap without the target exposing anything itself.
 * On a `memory` message it collects garbage (when `--expose-gc` is on) and
 * answers `process.memoryUsage()`.
 */
export interface ProbeReply {
  type: 'memory';
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

if (process.send) {
  process.on('message', (message: unknown) => {
    if ((message as { type?: string })?.type !== 'memory') return;
    const collect = (globalThis as { gc?: () => void }).gc;
    if (collect) {
      collect();
      collect();
    }
    const reply: ProbeReply = { type: 'memory', ...process.memoryUsage() };
    process.send?.(reply);
  });
  // The channel must not keep a target alive once it shuts itself down.
  process.channel?.unref();
}
