#!/usr/bin/env bash
# The relay against the seed's Node stack in one run (issue 14): copies the Node
# stack (../shared/peer-node, or $1) to a temporary directory, installs its locked
# dependencies there (npm ci), then runs the versus_node bench, which starts both
# servers and prints both stacks' figures and the ratios against the targets.
#   scripts/bench-versus-node.sh [PEER_NODE_DIR] [-- latency|throughput|memory]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
src=${1:-$repo/../shared/peer-node}
[ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift
if [ ! -f "$src/server.js" ]; then
  echo "no Node stack at $src (give its directory as the first argument)" >&2
  exit 1
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/saytype-peer-node.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp -r "$src/." "$work/"
(cd "$work" && npm ci --no-audit --no-fund --prefer-offline --loglevel=error >/dev/null)
cd "$repo"
SAYTYPE_PEER_NODE=$work cargo bench -p saytype --no-default-features --bench versus_node -- "$@"
