// The relay for the desktop window's tests: the harness's Relay (lib/relay.js), started
// with an environment of its own:
// - no DISPLAY / WAYLAND_DISPLAY, so switching the injection mode to `type` fails with
//   "no display" (the failure path of the history, deterministic on any machine);
// - bound to 0.0.0.0 like the tray app (on loopback the window offers no pairing);
// - XDG_CONFIG_HOME in a temporary directory, because "start at login" writes an
//   autostart entry there (never into the real ~/.config).

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Relay, freePort } from './relay.js';

export class DesktopRelay extends Relay {
  static async create(token) {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'saytype-desktop-'));
    const relay = new DesktopRelay({ port: await freePort(), token, dataDir });
    // On the network, as the tray app is: a relay on loopback shows no pairing code.
    relay.bind = '0.0.0.0';
    relay.configHome = await mkdtemp(path.join(os.tmpdir(), 'saytype-desktop-config-'));
    return relay;
  }

  environment() {
    const env = { ...super.environment(), XDG_CONFIG_HOME: this.configHome };
    delete env.DISPLAY;
    delete env.WAYLAND_DISPLAY;
    delete env.XDG_SESSION_TYPE;
    return env;
  }

  async dispose() {
    await super.dispose();
    await rm(this.configHome, { recursive: true, force: true });
  }

  /** The API with any token (the old one, after a rotation). */
  async apiWith(token, method, pathname) {
    const res = await fetch(this.url + pathname, { method, headers: { Authorization: `Bearer ${token}` } });
    return { status: res.status, data: await res.json().catch(() => null) };
  }
}
