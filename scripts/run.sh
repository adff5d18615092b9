#!/usr/bin/env bash
# Build and run SayType from a fresh Debian/Ubuntu machine (installs what it needs).
#   scripts/run.sh               the tray app (relay + local agent + window)
#   scripts/run.sh serve ...     the same without a GUI; any saytype arguments work
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/setup.sh run

cargo build --release --locked -p saytype
exec target/release/saytype "$@"
