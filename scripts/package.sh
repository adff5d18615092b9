#!/usr/bin/env bash
# The Debian package, built with cargo-deb.
#   scripts/package.sh          build target/debian/saytype_<version>-1_<arch>.deb
#   scripts/package.sh --check  build it, then check it: lintian (no errors),
#                               desktop-file-validate, appstreamcli validate, and, in a
#                               fresh minimal Debian bookworm root (debootstrap): install
#                               with its dependencies, `saytype --version`, `saytype serve`
#                               answering /health, and a purge that leaves nothing behind
#                               but the user's data (scripts/package-check.sh).
# Idempotent; installs what it needs (setup.sh package). First --check run: about
# 13 minutes here (a release build and the bookworm root); later runs reuse both.
set -euo pipefail
cd "$(dirname "$0")/.."

check=false
case ${1:-} in
  --check) check=true ;;
  "") ;;
  *) echo "usage: scripts/package.sh [--check]" >&2; exit 2 ;;
esac

# shellcheck source=scripts/setup.sh
source scripts/setup.sh package

# The man pages and completions come from the release binary's own command-line
# definition (clap_mangen, clap_complete), so they always match --help.
cargo build --release -p saytype --locked
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
gen=packaging/build
rm -rf "$gen"
"$target_dir/release/saytype" generate-docs "$gen"
gzip -9n "$gen"/man/*.1
# The upstream changelog, under the name Debian policy gives it.
gzip -9n < CHANGELOG.md > "$gen/changelog.gz"
# cargo-deb strips the binary and computes the shared-library dependencies with
# dpkg-shlibdeps; the assets and the rest are in src-tauri/Cargo.toml
# ([package.metadata.deb]).
rm -f "$target_dir"/debian/saytype_*.deb
cargo deb -p saytype --no-build --locked
deb=$(ls "$target_dir"/debian/saytype_*.deb)
echo "package: $deb"

if $check; then
  bash scripts/package-check.sh "$deb"
fi
