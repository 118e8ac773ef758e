#!/usr/bin/env bash
# Finds a RabbitMQ to talk to, or starts a private one, so tests and `npm run dev`
# never depend on how the machine was set up.
#   scripts/broker.sh [start]     last stdout line: AMQP_URL=<url>; the line before it,
#                                 BROKER_PRIVATE=<dir> (empty unless this run started a node)
#   scripts/broker.sh stop [DIR]  stops our private node(s) under .broker/ (never a shared one)
# Progress goes to stderr so `$(scripts/broker.sh)` captures only the result.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
STATE="$ROOT/.broker"
URL=${AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/}
WAIT_SECONDS=60

say() { echo "broker: $*" >&2; }
die() { say "error: $*"; exit 1; }

# A TCP check is not enough (an Erlang distribution port accepts TCP but never
# speaks AMQP and would hang), so do a real handshake under a hard 3 s deadline.
amqp_ok() {
  (cd "$ROOT" && timeout 5 node -e '
    setTimeout(() => process.exit(1), 3000).unref();
    require("amqplib").connect(process.argv[1], { timeout: 3000 })
      .then((c) => c.close().finally(() => process.exit(0)), () => process.exit(1));
  ' "$1") >/dev/null 2>&1
}

free_port() {
  node -e 'const s = require("net").createServer();
    s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

# Debian's /usr/sbin/rabbitmq-server re-runs itself as user rabbitmq from /var/lib/rabbitmq,
# which would ignore our HOME (cookie) and cannot write .broker/: use the real scripts.
rabbit_bin() {
  if [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]; then
    echo /usr/lib/rabbitmq/bin
  elif command -v rabbitmq-server >/dev/null 2>&1; then
    dirname "$(command -v rabbitmq-server)"
  elif [ -x /usr/sbin/rabbitmq-server ]; then
    echo /usr/sbin
  else
    return 1
  fi
}

# Everything a private node reads points into its own folder: the system's
# rabbitmq.conf/rabbitmq-env.conf would pin it to 5672 and the shared node name.
node_env() { # dir port dist_port
  local dir=$1
  export HOME="$dir" \
    RABBITMQ_NODENAME="vumi-http-api-$2@localhost" \
    RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT="$2" RABBITMQ_DIST_PORT="$3" \
    RABBITMQ_MNESIA_BASE="$dir/mnesia" RABBITMQ_LOG_BASE="$dir/log" \
    RABBITMQ_PID_FILE="$dir/rabbitmq.pid" RABBITMQ_PLUGINS_EXPAND_DIR="$dir/plugins-expand" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins" RABBITMQ_ENABLED_PLUGINS="" \
    RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf" RABBITMQ_ADVANCED_CONFIG_FILE="$dir/advanced.config" \
    RABBITMQ_CONF_ENV_FILE="$dir/rabbitmq-env.conf" \
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
    ERL_EPMD_ADDRESS=127.0.0.1 ERL_CRASH_DUMP="$dir/erl_crash.dump"
}

start_private() {
  local bin=$1 port dist dir pid
  port=$(free_port)
  dist=$(free_port)
  dir="$STATE/node-$port"
  rm -rf "$dir"
  mkdir -p "$dir/mnesia" "$dir/log"
  echo '[].' >"$dir/enabled_plugins"
  echo '# private test node; listener and paths come from the environment' >"$dir/rabbitmq.conf"
  : >"$dir/rabbitmq-env.conf"
  say "starting private RabbitMQ node vumi-http-api-$port@localhost in $dir"
  # setsid: the node outlives this script and Ctrl-C in the caller's terminal.
  (node_env "$dir" "$port" "$dist" && exec setsid "$bin/rabbitmq-server" </dev/null >"$dir/stdout.log" 2>&1) &
  pid=$!
  printf 'PID=%s\nPORT=%s\nDIST_PORT=%s\nNODE=vumi-http-api-%s@localhost\nURL=amqp://guest:guest@127.0.0.1:%s/\n' \
    "$pid" "$port" "$dist" "$port" "$port" >"$dir/state"
  local url="amqp://guest:guest@127.0.0.1:$port/" deadline=$((SECONDS + WAIT_SECONDS))
  until amqp_ok "$url"; do
    if ! kill -0 "$pid" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
      say "private node did not answer AMQP on port $port within ${WAIT_SECONDS}s; log tail:"
      tail -n 30 "$dir/stdout.log" "$dir/log/"*.log >&2 2>/dev/null || true
      stop_private "$dir"
      exit 1
    fi
    sleep 0.5
  done
  say "private node up on port $port after ${SECONDS}s"
  echo "BROKER_PRIVATE=$dir"
  echo "AMQP_URL=$url"
}

gone() { # pid seconds: true once the process has exited
  local i
  for ((i = 0; i < $2 * 10; i++)); do
    kill -0 "$1" 2>/dev/null || return 0
    sleep 0.1
  done
  return 1
}

stop_private() { # dir
  local dir=$1 PID='' PORT='' DIST_PORT='' NODE='' URL='' bin
  [ -f "$dir/state" ] || return 0
  # shellcheck disable=SC1091 # written by start_private
  . "$dir/state"
  say "stopping private node $NODE"
  # rabbitmqctl shutdown is graceful (persistent messages flushed) and waits for the VM to exit.
  if bin=$(rabbit_bin) && kill -0 "$PID" 2>/dev/null; then
    (node_env "$dir" "$PORT" "$DIST_PORT" &&
      timeout 30 "$bin/rabbitmqctl" -q -n "$NODE" shutdown) >/dev/null 2>&1 || true
  fi
  # Fallback: the node was started with setsid, so its pid is its process group.
  if ! gone "$PID" 5; then
    kill -TERM -- "-$PID" 2>/dev/null || true
    gone "$PID" 10 || kill -KILL -- "-$PID" 2>/dev/null || true
  fi
  rm -rf "$dir"
}

# A node left running by an earlier `scripts/broker.sh` (e.g. `npm run broker`) is
# reused rather than starting another; whoever started it stops it.
find_running_private() {
  local dir URL
  for dir in "$STATE"/node-*; do
    [ -f "$dir/state" ] || continue
    URL=$(sed -n 's/^URL=//p' "$dir/state")
    if amqp_ok "$URL"; then
      echo "$URL"
      return 0
    fi
  done
  return 1
}

start() {
  [ -d "$ROOT/node_modules/amqplib" ] || die "node_modules missing: run 'npm ci' first"
  if amqp_ok "$URL"; then
    say "using broker at ${URL//:*@/://***@}"
    echo "BROKER_PRIVATE="
    echo "AMQP_URL=$URL"
    return
  fi
  say "no broker answers at ${URL//:*@/://***@}"
  local bin url
  if url=$(find_running_private); then
    say "reusing private node at $url"
    echo "BROKER_PRIVATE="
    echo "AMQP_URL=$url"
  elif bin=$(rabbit_bin); then
    start_private "$bin"
  elif timeout 10 docker info >/dev/null 2>&1; then
    say "starting the rabbitmq service with docker compose"
    (cd "$ROOT" && docker compose up -d rabbitmq) >&2
    local deadline=$((SECONDS + WAIT_SECONDS))
    until amqp_ok "$URL"; do
      [ "$SECONDS" -lt "$deadline" ] || die "docker rabbitmq did not answer within ${WAIT_SECONDS}s"
      sleep 1
    done
    echo "BROKER_PRIVATE="
    echo "AMQP_URL=$URL"
  else
    die "no RabbitMQ found. Install one ('apt-get install -y rabbitmq-server'; this script then runs
       a private node itself), start Docker, or set AMQP_URL to a broker that answers."
  fi
}

case "${1:-start}" in
  start) start ;;
  stop)
    if [ -n "${2:-}" ]; then
      stop_private "$2"
    else
      for dir in "$STATE"/node-*; do
        if [ -d "$dir" ]; then stop_private "$dir"; fi
      done
    fi
    ;;
  *) die "usage: $0 [start|stop [DIR]]" ;;
esac
