#!/usr/bin/env bash
# Runs CMD against a RabbitMQ: the one at AMQP_URL when it answers, else a private
# node that lives exactly as long as CMD. Exits with CMD's status.
set -euo pipefail

[ $# -gt 0 ] || { echo "usage: $0 CMD [ARGS...]" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)

out=$("$HERE/broker.sh" start)
AMQP_URL=$(printf '%s\n' "$out" | sed -n 's/^AMQP_URL=//p' | tail -n 1)
private=$(printf '%s\n' "$out" | sed -n 's/^BROKER_PRIVATE=//p' | tail -n 1)
export AMQP_URL

if [ -n "$private" ]; then
  # Only a node this run started is stopped; the EXIT trap also covers Ctrl-C,
  # which the INT/TERM traps turn into an ordinary exit.
  trap '"$HERE/broker.sh" stop "$private"' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
fi

status=0
"$@" || status=$?
exit "$status"
