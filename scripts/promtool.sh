#!/usr/bin/env bash
# Prints the path of a promtool binary, fetching one when there is none:
# `promtool` on PATH if any, else Debian's `prometheus` package unpacked (not
# installed) into .cache/promtool/ of this repository (git-ignored). Needs a
# Debian or Ubuntu machine with apt lists (`apt-get update`); no root needed.
# test/prometheus-rules.e2e-spec.ts runs the rules' unit tests with it; .ci/run
# calls this script first.
set -euo pipefail
cd "$(dirname "$0")/.."
if command -v promtool >/dev/null 2>&1; then
  command -v promtool
  exit 0
fi
dir=.cache/promtool
bin=$dir/usr/bin/promtool
if [ ! -x "$bin" ]; then
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
  (cd "$scratch" && apt-get download prometheus >&2)
  mkdir -p "$dir"
  dpkg -x "$scratch"/prometheus_*.deb "$dir"
  # Only promtool is wanted: drop the server and the rest of the package.
  find "$dir" -mindepth 1 -maxdepth 1 ! -name usr -exec rm -rf {} +
  find "$dir/usr" -mindepth 1 -maxdepth 1 ! -name bin -exec rm -rf {} +
  find "$dir/usr/bin" -mindepth 1 ! -name promtool -delete
fi
"$bin" --version >/dev/null
echo "$PWD/$bin"
