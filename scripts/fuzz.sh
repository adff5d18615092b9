#!/usr/bin/env bash
# Run each cargo-fuzz target for a while (default 120 s each), niced, on the
# committed corpus in fuzz/corpus/. Needs a nightly toolchain; installs cargo-fuzz
# from crates.io when it is missing.
#
#   scripts/fuzz.sh                 # every target, 120 s each
#   FUZZ_SECS=3600 scripts/fuzz.sh  # an hour each
#   scripts/fuzz.sh ws_frames       # one target
#
# A crash leaves its input in fuzz/artifacts/<target>/; fix it, then add the input
# to fuzz/corpus/<target>/ so every later run replays it.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
secs="${FUZZ_SECS:-120}"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(request_bodies ws_frames keymap_planner sealed_envelope)
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
for t in "${targets[@]}"; do
  echo "== $t: ${secs} s"
  # The relay's code forbids unsafe: libFuzzer's own checks (panics, timeouts,
  # memory) are what matter, so no sanitizer (a much faster build and run).
  # New inputs go to runs/ (not committed); corpus/ holds the committed seeds.
  mkdir -p "runs/$t"
  nice cargo +nightly fuzz run --sanitizer none "$t" "runs/$t" "corpus/$t" -- \
    -max_total_time="$secs" -max_len=4096 -timeout=10 -print_final_stats=1 2>&1 \
    | grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::peak_rss_mb|==|.*(panicked|Crash|crash-|deadly signal))' || true
  echo "   corpus: $(ls "corpus/$t" | wc -l) inputs; artifacts: $(ls "artifacts/$t" 2>/dev/null | wc -l)"
done
