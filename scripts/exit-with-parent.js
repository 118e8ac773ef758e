// Preloaded (`node -r`) into the processes scripts/dev.ts starts: when the
// supervisor is gone without stopping us (SIGKILL, a crash), our parent
// changes (re-parented to init or a subreaper), and we stop ourselves with
// SIGTERM, which drains the service as usual. Nothing keeps the port or
// reconnects to a broker after the dev loop is gone.
'use strict';
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.kill(process.pid, 'SIGTERM');
}, 500).unref();
