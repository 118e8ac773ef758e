#!/usr/bin/env bash
# `npm run dev`: a broker (found or private), the transport and the demo echo
# application, straight from TypeScript. Ctrl-C stops everything it started.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

out=$(scripts/broker.sh start)
AMQP_URL=$(printf '%s\n' "$out" | sed -n 's/^AMQP_URL=//p' | tail -n 1)
private=$(printf '%s\n' "$out" | sed -n 's/^BROKER_PRIVATE=//p' | tail -n 1)
export AMQP_URL
# Reply mode by default, so that the echo application's answer shows in the curl output.
export REPLY_EXPECTED=${REPLY_EXPECTED:-true} WEB_PORT=${WEB_PORT:-8080} LOG_PRETTY=${LOG_PRETTY:-true}
export TRANSPORT_NAME=${TRANSPORT_NAME:-http_api}

pids=()
cleanup() {
  trap - EXIT INT TERM
  # Background children of a script ignore Ctrl-C, so they are told explicitly.
  # The service drains on TERM; anything still up after 15 s is killed.
  if [ ${#pids[@]} -gt 0 ]; then
    kill -TERM "${pids[@]}" 2>/dev/null || true
    for _ in $(seq 150); do
      kill -0 "${pids[@]}" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "${pids[@]}" 2>/dev/null || true
  fi
  [ -z "$private" ] || scripts/broker.sh stop "$private"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

run_ts() { node -r ts-node/register/transpile-only "$@"; }

run_ts src/main.ts &
pids+=($!)
if [ -f src/demo/echo-application.ts ]; then
  run_ts src/demo/echo-application.ts &
  pids+=($!)
else
  echo "dev: src/demo/echo-application.ts not found; running the transport alone" >&2
fi

# Announce the curl line only once the service really answers (any HTTP status:
# a 503 still means it is up, only the broker check failed).
health="http://127.0.0.1:$WEB_PORT/${HEALTH_PATH:-health}"
api="http://127.0.0.1:$WEB_PORT/$(p=${WEB_PATH:-/http_api} && echo "${p#/}")"
deadline=$((SECONDS + 120))
until node -e 'fetch(process.argv[1]).then(() => process.exit(0), () => process.exit(1))' "$health"; do
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || { echo "dev: a process exited before $health answered" >&2; exit 1; }
  done
  [ "$SECONDS" -lt "$deadline" ] || { echo "dev: $health did not answer within 120 s" >&2; exit 1; }
  sleep 0.5
done
cat >&2 <<EOF

dev: transport up (AMQP_URL=$AMQP_URL, transport $TRANSPORT_NAME, REPLY_EXPECTED=$REPLY_EXPECTED). Try:
  curl '$api?to_addr=555&from_addr=123&content=hello'
(reply mode: the echo application answers "hello"; REPLY_EXPECTED=false npm run dev answers {"message_id": ...})
Ctrl-C stops everything.

EOF

# Stay up until Ctrl-C or until any child exits.
wait -n || true
echo "dev: shutting down (Ctrl-C, or a process exited)" >&2
