// The real relay binary, started and stopped the way a user would: `saytype serve`
// on a loopback port, with its own data directory and a local agent that records
// without typing (`--inject none`), so messages go queued → delivered → injected.

import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '../../../..');
export const binary = process.env.SAYTYPE_BIN || path.join(repoRoot, 'target/debug/saytype');

/** A free TCP port on loopback: bind port 0, read the port, let it go. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export class Relay {
  /**
   * @param {{port: number, token: string, dataDir: string, deviceId?: string, inject?: string}} opts
   * `inject`: the local agent's `--inject` mode (default `none`: it records, types nothing).
   */
  constructor({ port, token, dataDir, deviceId = 'desk', inject = 'none' }) {
    Object.assign(this, { port, token, dataDir, deviceId, inject });
    this.child = null;
    this.url = `http://127.0.0.1:${port}`;
  }

  static async create(token) {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'saytype-browser-'));
    return new Relay({ port: await freePort(), token, dataDir });
  }

  /** The relay's environment (subclasses adjust it). */
  environment() {
    return { ...process.env, SAYTYPE_TOKEN: this.token, RUST_LOG: process.env.RUST_LOG || 'warn' };
  }

  /** The program and arguments that run `saytype ARGS` (subclasses wrap it). */
  command(args) {
    return [binary, args];
  }

  /** Start and wait for its `listening on http://…` line. */
  async start() {
    const args = ['serve', '--port', String(this.port), '--bind', this.bind || '127.0.0.1', '--data-dir', this.dataDir,
      '--no-mdns', '--device-id', this.deviceId, '--inject', this.inject];
    const [command, argv] = this.command(args);
    const child = spawn(command, argv, { env: this.environment(), stdio: ['ignore', 'pipe', 'pipe'] });
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

  /** SIGTERM (graceful shutdown, nothing queued is lost), and wait for the exit. */
  async stop() {
    if (!this.child) return;
    const child = this.child;
    this.child = null;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    let timer;
    const timeout = new Promise((resolve) => {
      timer = setTimeout(() => resolve('timeout'), 10000);
    });
    const outcome = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      child.kill('SIGKILL');
      await this.exited;
      throw new Error('relay did not exit within 10 s of SIGTERM');
    }
  }

  async dispose() {
    await this.stop().catch(() => {});
    await rm(this.dataDir, { recursive: true, force: true });
  }

  /** A pairing link with a fresh one-time code, as the desktop's QR code carries. */
  async pairLink() {
    const { status, data } = await this.api('POST', '/pairing/code');
    if (status !== 200) throw new Error(`no pairing code: ${status} ${JSON.stringify(data)}`);
    return `${this.url}/#pair=${data.code}`;
  }

  /** The HTTP API, with the token. */
  async api(method, pathname, body) {
    const res = await fetch(this.url + pathname, {
      method,
      headers: {
        Authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, data: await res.json().catch(() => null) };
  }
}

/**
 * A second desktop: `saytype agent` connected to the relay (by default recording,
 * not typing), with its own data directory. Resolves once the relay lists it online.
 */
export async function startAgent(relay, deviceId, { inject = 'none', env = {} } = {}) {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'saytype-agent-'));
  const childEnv = { ...process.env, SAYTYPE_TOKEN: relay.token, RUST_LOG: process.env.RUST_LOG || 'warn', ...env };
  for (const [key, value] of Object.entries(childEnv)) if (value === null) delete childEnv[key]; // null: unset
  const child = spawn(binary, ['agent', '--relay', `ws://127.0.0.1:${relay.port}/ws`, '--device-id', deviceId,
    '--inject', inject, '--data-dir', dataDir], {
    env: childEnv,
    stdio: ['ignore', 'ignore', process.env.SAYTYPE_TEST_VERBOSE ? 'inherit' : 'ignore'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const deadline = Date.now() + 10000;
  for (;;) {
    const { data } = await relay.api('GET', '/devices');
    if (data.some((d) => d.deviceId === deviceId && d.online)) break;
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`agent ${deviceId} did not come online`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
