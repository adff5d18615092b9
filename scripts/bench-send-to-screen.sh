#!/usr/bin/env bash
# Send to screen (issue 14): the real phone page in Chromium in one network
# namespace, `saytype serve --inject type` with Xvfb and a focused xterm in another,
# joined by a veth with an emulated Wi-Fi link (netem delay 5ms 2ms); from the tap on
# Send to the last character in the xterm, 100 and 1,000 characters, and 100
# characters with 1% packet loss. Needs root (namespaces), Chromium, Xvfb, xterm,
# xdotool, python3 and tc (scripts/setup.sh test installs them).
#   scripts/bench-send-to-screen.sh [MESSAGES_PER_SERIES]   (default 100)
#   SAYTYPE_BENCH_DISPLAY=:N picks the Xvfb display (default :74).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
cargo build --release -p saytype --no-default-features
browser=src-tauri/tests/browser
if [ ! -f "$browser/node_modules/.package-lock.json" ] || [ "$browser/package-lock.json" -nt "$browser/node_modules/.package-lock.json" ]; then
  (cd "$browser" && npm ci --no-audit --no-fund --prefer-offline --loglevel=error)
fi
SAYTYPE_BIN=${SAYTYPE_BIN:-$repo/target/release/saytype} exec node "$browser/bench-send-to-screen.js" "$@"
