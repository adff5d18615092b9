#!/usr/bin/env bash
# Installs what SayType needs on Debian/Ubuntu, idempotently: only what is missing.
#   scripts/setup.sh run    build + run the desktop app
#   scripts/setup.sh test   also what the test suite drives (Xvfb, xterm, ...)
#   scripts/setup.sh package   also what scripts/package.sh uses (cargo-deb, lintian, ...)
set -euo pipefail

purpose=${1:-run}

# Build: Rust, a C compiler (bundled SQLite), GTK/WebKit for the Tauri shell.
packages=(build-essential pkg-config curl ca-certificates
          libwebkit2gtk-4.1-dev libgtk-3-dev librsvg2-dev)
if [ "$purpose" = test ]; then
  # A real X server, windows to type into, clipboard and window tools, a browser for
  # the UI tests, D-Bus for the tray app, network namespaces for discovery tests.
  packages+=(xvfb xterm xdotool xclip x11-utils dbus dbus-x11 iproute2 procps
             python3-gi gir1.2-gtk-3.0 nftables)
  # bash inside tmux inside xterm for the terminal-paste test (tests/terminal_paste.rs).
  packages+=(tmux)
  # Headless sway for the Wayland tests (tests/wayland.rs), with Xwayland for the
  # X-window-on-Wayland run, and wl-copy / wl-paste to check the clipboard.
  packages+=(sway xwayland wl-clipboard)
  # Native Wayland terminals for the Wayland terminal rule: foot on sway
  # (tests/wayland_terminal.rs), Konsole with Qt's Wayland platform on KWin
  # (tests/wayland_kde.rs; foot dies on KWin's virtual output).
  packages+=(foot konsole qtwayland5)
  # Headless GNOME and KDE compositors for tests/wayland_gnome.rs and
  # tests/wayland_kde.rs: mutter 43 (RemoteDesktop on D-Bus) and KWin 5.27
  # (fake-input), and gdbus to switch KWin's layout in a test.
  packages+=(mutter kwin-wayland libglib2.0-bin)
  # The phone page's browser tests (src-tauri/tests/browser): Debian's Chromium, and
  # Node + npm, Debian's unless a node is already on PATH (NodeSource, nvm, ...).
  packages+=(chromium)
  # The sealed phone link's tests capture the traffic between two namespaces and
  # check that nothing readable crosses it (tests/sealed_link.rs).
  packages+=(tcpdump)
  # The notification for held messages (tests/held_notify.rs): python-dbusmock's
  # notification service on a private session bus.
  packages+=(python3-dbusmock)
  # The tray tests (tests/tray_app.rs, tests/tray_menu.rs) play the tray host on a
  # private bus (dbus-daemon, from dbus) and drive the menu over dbusmenu; the tray
  # speaks D-Bus itself, so it needs no tray library.
  if ! command -v node >/dev/null 2>&1; then
    packages+=(nodejs npm)
  fi
fi

if [ "$purpose" = package ]; then
  # cargo-deb calls dpkg-shlibdeps (dpkg-dev); the checks: lintian, the desktop entry
  # and AppStream validators, and debootstrap for a fresh Debian root.
  packages+=(dpkg-dev lintian desktop-file-utils appstream debootstrap curl)
fi

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Rust: the one from rustup if present; otherwise install it (needs the internet).
if [ -x "$HOME/.cargo/bin/cargo" ]; then
  export PATH="$HOME/.cargo/bin:$PATH"
fi
if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: installing Rust with rustup"
  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal -c clippy -c rustfmt
  export PATH="$HOME/.cargo/bin:$PATH"
fi
for component in clippy rustfmt; do
  if ! cargo "${component/rustfmt/fmt}" --version >/dev/null 2>&1 && command -v rustup >/dev/null 2>&1; then
    rustup component add "$component"
  fi
done

if [ "$purpose" = package ] && ! cargo deb --version >/dev/null 2>&1; then
  echo "setup: installing cargo-deb"
  cargo install cargo-deb --locked
fi
