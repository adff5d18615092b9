// The relay for the desktop window's tests: the harness's Relay (lib/relay.js), started
// with an environment of its own:
// - no DISPLAY / WAYLAND_DISPLAY, so switching the injection mode to `type` fails with
//   "no display" (the failure path of the history, deterministic on any machine);
// - XDG_CONFIG_HOME in a temporary directory, because "start at login" writes an
//   autostart entry there (never into the real ~/.config).

import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Relay, binary, freePort } from './relay.js';

export class DesktopRelay extends Relay {
  static async create(token) {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'saytype-desktop-'));
    const relay = new DesktopRelay({ port: await freePort(), token, dataDir });
    relay.configHome = await mkdtemp(path.join(os.tmpdir(), 'saytype-desktop-config-'));
    return relay;
  }

  /** Start `saytype serve` and wait for its `listening on http://…` line. */
  async start() {
    const args = ['serve', '--inject', 'none', '--no-mdns', '--bind', '127.0.0.1', '--port', String(this.port),
      '--device-id', this.deviceId, '--data-dir', this.dataDir];
    const env = {
      ...process.env,
      SAYTYPE_TOKEN: this.token,
      XDG_CONFIG_HOME: this.configHome,
      RUST_LOG: process.env.RUST_LOG || 'warn',
    };
    delete env.DISPLAY;
    delete env.WAYLAND_DISPLAY;
    delete env.XDG_SESSION_TYPE;
    const child = spawn(binary, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      if (process.env.SAYTYPE_TEST_VERBOSE) process.stderr.write(chunk);
    });
    await new Promise((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`relay did not start in 10 s:\n${stderr}`)), 10000);
      child.stdout.on('data', (chunk) => {
        out += chunk;
        if (/listening on http:\/\/\S+/.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`relay exited (${code}) before listening:\n${stderr}`));
      });
    });
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
