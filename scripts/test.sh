#!/usr/bin/env bash
# The whole test suite, from a fresh Debian/Ubuntu machine: installs what it needs,
# then checks formatting and lints, and runs every test (unit, integration against
# real servers on loopback, the real binary).
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/setup.sh test

export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

echo "== format"
cargo fmt --all --check

echo "== lints (core, then with the desktop shell)"
cargo clippy -p saytype --no-default-features --all-targets --locked -- -D warnings
cargo clippy -p saytype --all-targets --locked -- -D warnings

echo "== tests"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# The tray app itself (the `gui` build) under Xvfb, then the whole core. Each run
# builds `saytype` with its own features, so the tray test goes first.
cargo test -p saytype --locked --test tray_app -- --test-threads=1 2>&1 | tee "$log"
cargo test -p saytype --no-default-features --locked 2>&1 | tee -a "$log"

# The phone page in a real Chromium against the real binary. A failure here still
# gets the closing summary line below, then fails the run.
echo "== browser tests"
browser_status=0
cargo build -p saytype --no-default-features --locked --quiet
src-tauri/tests/browser/run.sh 2>&1 | tee -a "$log" || browser_status=$?

# One closing line for the whole run, summed over every test binary and node's test
# runner (its `# pass N` / `# fail N` lines). A browser run that failed before any
# test could report counts as one failure.
awk -v browser_status="$browser_status" '
     /^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i; if ($(i+1) ~ /^ignored/) s += $i } }
     /^(#|ℹ) pass [0-9]+$/ { p += $3 }
     /^(#|ℹ) (fail|cancelled) [0-9]+$/ { f += $3; nf += $3 }
     /^(#|ℹ) (skipped|todo) [0-9]+$/ { s += $3 }
     END { if (browser_status != 0 && nf == 0) f += 1
           printf "\nsaytype: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit "$browser_status"
