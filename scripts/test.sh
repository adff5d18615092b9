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
cargo test -p saytype --no-default-features --locked 2>&1 | tee "$log"

# One closing line for the whole run, summed over every test binary.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i; if ($(i+1) ~ /^ignored/) s += $i } }
     END { printf "\nsaytype: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
