#!/usr/bin/env bash
# The pages' tests: the unit tests of their pure modules (unit/*.test.js, plain
# node, no browser), then the browser tests: Debian's Chromium (playwright-core, no
# browser download) against the real relay binary, in the same node test run (one
# summary). Screenshots go to artifacts/browser/.
#   SAYTYPE_BIN      the binary to test (default: <repo>/target/debug/saytype)
#   CHROMIUM_PATH    the browser (default: /usr/bin/chromium)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
cd "$here"

# Install the locked dependencies when node_modules is missing or older than the
# lockfile. npm ci installs exactly package-lock.json (and uses npm's cache first).
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --prefer-offline --loglevel=error
fi

export SAYTYPE_BIN=${SAYTYPE_BIN:-$repo/target/debug/saytype}
if [ ! -x "$SAYTYPE_BIN" ]; then
  echo "browser tests: no relay binary at $SAYTYPE_BIN (cargo build -p saytype --no-default-features)" >&2
  exit 1
fi
chromium=${CHROMIUM_PATH:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then
  echo "browser tests: no Chromium at $chromium (apt-get install chromium, or scripts/setup.sh test)" >&2
  exit 1
fi

# Every test file, or only those named: run.sh phone.test.js, run.sh unit/*.test.js
if [ $# -eq 0 ]; then
  set -- unit/*.test.js ./*.test.js
fi
exec node --test "$@"
