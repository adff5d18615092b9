#!/usr/bin/env bash
# The whole test suite, from a fresh Debian/Ubuntu machine: installs what it needs,
# then checks formatting and lints, and runs every test (unit, integration against
# real servers on loopback, the real binary, the pages in a real browser).
#
# Every step runs even when an earlier one failed; the run always ends with one
# line that CI reads,
#   saytype: N passed, N failed, N skipped
# summed over every test binary and node's test runner, and exits non-zero if any
# step failed. A step that failed without reporting a failed test (formatting,
# lints, a build error, a browser run that could not start) counts as one failure.
set -uo pipefail
cd "$(dirname "$0")/.."

export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
passed=0 failed=0 skipped=0
failed_steps=()

# Counts of one step's log: "passed failed skipped reported_failures".
count() {
  awk '
     /^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i; if ($(i+1) ~ /^ignored/) s += $i } }
     /^(#|ℹ) pass [0-9]+$/ { p += $3 }
     /^(#|ℹ) (fail|cancelled) [0-9]+$/ { f += $3 }
     /^(#|ℹ) (skipped|todo) [0-9]+$/ { s += $3 }
     END { printf "%d %d %d\n", p, f, s }' "$1"
}

# step NAME COMMAND...: run it with its output shown and logged, add up its counts,
# and remember a failure instead of stopping.
n=0
step() {
  local name=$1 log status p f s
  shift
  n=$((n + 1))
  log="$logs/$n.log"
  echo "== $name"
  "$@" 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  read -r p f s < <(count "$log")
  if [ "$status" -ne 0 ]; then
    failed_steps+=("$name (exit $status)")
    if [ "$f" -eq 0 ]; then f=1; fi
  fi
  passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
}

# Setup installs packages and may put cargo on PATH, so it is sourced (in a
# subshell first, so that a failure is recorded rather than ending the run).
step "setup" bash scripts/setup.sh test
if [ ${#failed_steps[@]} -eq 0 ]; then
  # shellcheck source=scripts/setup.sh
  source scripts/setup.sh test >/dev/null
  set +e
fi

step "format" cargo fmt --all --check
step "lints (core)" cargo clippy -p saytype --no-default-features --all-targets --locked -- -D warnings
step "lints (with the desktop shell)" cargo clippy -p saytype --all-targets --locked -- -D warnings

# The tray app itself (the `gui` build) under Xvfb, and its menu driven over
# dbusmenu, then the whole core. Each run
# builds `saytype` with its own features, so the tray test goes first.
step "tests (tray app)" cargo test -p saytype --locked --test tray_app -- --test-threads=1
step "tests (tray menu)" cargo test -p saytype --locked --test tray_menu
# The unit tests with the desktop shell's modules in (app/, window_app/).
step "tests (units, with the desktop shell)" cargo test -p saytype --locked --lib
step "tests (core)" cargo test -p saytype --no-default-features --locked --no-fail-fast

# The phone and desktop pages in a real Chromium against the real binary.
browser() {
  local target=${CARGO_TARGET_DIR:-target}
  case $target in /*) ;; *) target=$(pwd)/$target ;; esac
  cargo build -p saytype --no-default-features --locked --quiet &&
    SAYTYPE_BIN="${SAYTYPE_BIN:-$target/debug/saytype}" src-tauri/tests/browser/run.sh
}
step "browser tests" browser

# The Debian package, only when asked (13 minutes here the first time: a release
# build and a fresh bookworm root): SAYTYPE_PACKAGE_TESTS=1 scripts/test.sh.
if [ -n "${SAYTYPE_PACKAGE_TESTS:-}" ]; then
  step "package" scripts/package.sh --check
fi

if [ ${#failed_steps[@]} -gt 0 ]; then
  printf '\nfailed steps:\n'
  printf '  %s\n' "${failed_steps[@]}"
fi
printf '\nsaytype: %d passed, %d failed, %d skipped\n' "$passed" "$failed" "$skipped"
[ ${#failed_steps[@]} -eq 0 ]
