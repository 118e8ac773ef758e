#!/usr/bin/env bash
# `npm run dev`: a broker (found or private), the transport and, in reply mode,
# the demo echo application, straight from TypeScript. This script only finds
# the broker, then execs node (scripts/dev.ts), so the PID an IDE or a process
# manager recorded is node's: any of SIGINT, SIGTERM, SIGHUP, SIGQUIT to it
# stops everything it started (service, echo application, private broker).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

# .env, when present, for what the real environment does not set (the real
# environment wins, as in the service's own loading of .env). Parsed with
# Node's own dotenv parser, so the script and the service read it alike.
if [ -f .env ]; then
  while IFS= read -r -d '' assignment; do
    name=${assignment%%=*}
    [ -n "${!name+set}" ] || export "$assignment"
  done < <(node -e '
    const vars = require("node:util").parseEnv(require("node:fs").readFileSync(".env", "utf8"));
    for (const [k, v] of Object.entries(vars)) if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) process.stdout.write(`${k}=${v}\0`);
  ')
fi

# Dev defaults: reply mode (the curl line shows the echo application's answer),
# readable logs, and one log line per request (LOG_REQUESTS; off in production).
export REPLY_EXPECTED=${REPLY_EXPECTED:-true} WEB_PORT=${WEB_PORT:-8080} LOG_PRETTY=${LOG_PRETTY:-true}
export LOG_REQUESTS=${LOG_REQUESTS:-true} TRANSPORT_NAME=${TRANSPORT_NAME:-http_api}

private=''
# Until node takes over, a signal here must still stop a broker this run started.
trap '[ -z "$private" ] || scripts/broker.sh stop "$private"; exit 130' INT
trap '[ -z "$private" ] || scripts/broker.sh stop "$private"; exit 143' TERM HUP
out=$(scripts/broker.sh start)
AMQP_URL=$(printf '%s\n' "$out" | sed -n 's/^AMQP_URL=//p' | tail -n 1)
private=$(printf '%s\n' "$out" | sed -n 's/^BROKER_PRIVATE=//p' | tail -n 1)
export AMQP_URL DEV_PRIVATE_BROKER=$private
trap - INT TERM HUP

exec node -r ts-node/register/transpile-only scripts/dev.ts
