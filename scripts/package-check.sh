#!/usr/bin/env bash
# Checks a built package (scripts/package.sh --check calls this):
#   1. lintian reports no errors; desktop-file-validate and appstreamcli validate pass;
#   2. in a fresh minimal Debian bookworm root (debootstrap, kept as a tarball in
#      ~/.cache/saytype so later runs skip the download): the package installs with
#      its dependencies, `saytype --version` runs, `saytype serve` starts and /health
#      answers, and purging it leaves nothing behind but the user's data.
set -euo pipefail
cd "$(dirname "$0")/.."
deb=$(realpath "$1")

echo "== lintian"
# Errors fail the check; warnings and infos are shown.
lintian --fail-on error --no-tag-display-limit "$deb"

echo "== desktop entry and AppStream metainfo"
desktop-file-validate packaging/saytype.desktop
appstreamcli validate --no-net packaging/app.saytype.desktop.metainfo.xml

echo "== a fresh Debian bookworm root"
cache=${XDG_CACHE_HOME:-$HOME/.cache}/saytype
mkdir -p "$cache"
base=$cache/bookworm-minbase.tar
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
if [ ! -s "$base" ]; then
  tmp=$(mktemp -d)
  debootstrap --variant=minbase bookworm "$tmp" "$mirror"
  tar -C "$tmp" -cf "$base.part" .
  mv "$base.part" "$base"
  rm -rf "$tmp"
fi
root=$(mktemp -d /var/tmp/saytype-root.XXXXXX)
cleanup() {
  for m in proc sys dev; do umount -l "$root/$m" 2>/dev/null || true; done
  rm -rf "$root"
}
trap cleanup EXIT
tar -C "$root" -xf "$base"
mount -t proc proc "$root/proc"
mount --rbind /sys "$root/sys"
mount --rbind /dev "$root/dev"
cp /etc/resolv.conf "$root/etc/resolv.conf"
cp "$deb" "$root/tmp/saytype.deb"
in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"; }

# What the root holds, minus what changes by itself (caches, logs, the package
# manager's own state) and the user's data (~/.local/share/saytype, with the
# ~/.local/share it may have had to make), which a purge must keep.
listing() {
  (cd "$root" && find . -xdev \
     -path ./proc -prune -o -path ./sys -prune -o -path ./dev -prune -o \
     -path ./tmp -prune -o -path ./var/cache -prune -o -path ./var/log -prune -o \
     -path ./var/lib/apt -prune -o -path ./var/lib/dpkg -prune -o \
     -path ./root/.local -prune -o -print | sort)
}

in_root apt-get update -qq
# The dependencies first, then the package alone, so that a purge can be compared
# with the state it started from.
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends /tmp/saytype.deb
in_root dpkg --purge saytype
listing > "$root/tmp/before"

in_root dpkg -i /tmp/saytype.deb
version=$(in_root saytype --version)
echo "installed: $version"
[ "$version" = "saytype $(dpkg-deb -f "$deb" Version | cut -d- -f1)" ]
test -x "$root/usr/libexec/saytype/saytype-window"
test -f "$root/usr/share/applications/saytype.desktop"
test -f "$root/usr/share/man/man1/saytype.1.gz"

# serve in the root (it shares this machine's network): wait for its address, then
# ask /health from outside.
in_root saytype serve --no-mdns --no-agent --bind 127.0.0.1 --port 0 > "$root/tmp/serve.out" 2> "$root/tmp/serve.err" &
serve=$!
for _ in $(seq 1 200); do
  grep -q '^listening on ' "$root/tmp/serve.out" 2>/dev/null && break
  sleep 0.05
done
url=$(sed -n 's/^listening on //p' "$root/tmp/serve.out")
[ -n "$url" ] || { cat "$root/tmp/serve.err"; echo "serve did not start" >&2; exit 1; }
health=$(curl -fsS "$url/health")
echo "health: $health"
grep -q '"status":"ok"' <<<"$health"
kill -TERM "$serve"
wait "$serve" || true
test -d "$root/root/.local/share/saytype" || { echo "serve kept no data?" >&2; exit 1; }

in_root dpkg --purge saytype
listing > "$root/tmp/after"
if ! diff -u "$root/tmp/before" "$root/tmp/after"; then
  echo "the purge left files behind (above)" >&2
  exit 1
fi
test -d "$root/root/.local/share/saytype" || { echo "the purge removed the user's data" >&2; exit 1; }
echo "package check: ok"
