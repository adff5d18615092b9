#!/usr/bin/env bash
# Rebuild ui/lib/vendor/noble.js, the audited crypto (@noble/ciphers, @noble/curves,
# @noble/hashes) the phone page needs for the sealed link, from the exact versions
# in web/package-lock.json. The bundle is committed, so `cargo build` on a fresh
# clone needs no Node; run this after changing web/, and commit the result. The
# node unit tests (src-tauri/tests/browser/unit/sealed.test.js) rebuild it the same
# way and fail if the committed file differs.
set -euo pipefail
cd "$(dirname "$0")/../web"
npm ci --no-audit --no-fund --prefer-offline --loglevel=error
npm run --silent build
echo "ui/lib/vendor/noble.js rebuilt; commit it if it changed"
