// Two network namespaces joined by a veth pair, as in the Rust tests
// (src-tauri/tests/common/netns.rs): the relay in `a` (10.201.N.1), the phone's
// Chromium in `b` (10.201.N.2), so the phone's traffic crosses a real network link,
// where tcpdump captures it. Needs root (CI runs as root; elsewhere the test skips).

import { execFileSync, spawn } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CHROMIUM, launch } from './browser.js';
import { Relay, binary, freePort } from './relay.js';

let next = 0;

export class Netns {
  /**
   * The namespaces, or null (with the reason) where they cannot be made. `prefix`
   * starts every name (namespaces and veths), so that concurrent users can tell theirs.
   */
  static create({ prefix = 's' } = {}) {
    const tag = `${process.pid % 100000}${next++}`;
    const ns = new Netns(`${prefix}na${tag}`, `${prefix}nb${tag}`, `${prefix}va${tag}`, `${prefix}vb${tag}`, 10 + (next % 200));
    try {
      ns.ip('netns', 'add', ns.a);
      ns.ip('netns', 'add', ns.b);
      // IPv4 only: the tests use none of IPv6, and its link-local address turning
      // up a moment later is a network change, on which Chromium aborts the requests
      // in flight (net::ERR_NETWORK_CHANGED: a page load lost a module that way).
      for (const n of [ns.a, ns.b]) ns.run(n, 'sysctl', ['-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
      ns.ip('link', 'add', ns.vethA, 'type', 'veth', 'peer', 'name', ns.vethB);
      ns.ip('link', 'set', ns.vethA, 'netns', ns.a);
      ns.ip('link', 'set', ns.vethB, 'netns', ns.b);
      ns.ip('-n', ns.a, 'addr', 'add', `${ns.relayIp}/24`, 'dev', ns.vethA);
      ns.ip('-n', ns.b, 'addr', 'add', `${ns.phoneIp}/24`, 'dev', ns.vethB);
      for (const [n, dev] of [[ns.a, ns.vethA], [ns.b, ns.vethB], [ns.a, 'lo'], [ns.b, 'lo']]) ns.ip('-n', n, 'link', 'set', dev, 'up');
      return ns;
    } catch (err) {
      ns.destroy();
      return { skip: String(err.stderr || err.message).trim() };
    }
  }

  constructor(a, b, vethA, vethB, subnet) {
    Object.assign(this, { a, b, vethA, vethB });
    this.relayIp = `10.201.${subnet}.1`;
    this.phoneIp = `10.201.${subnet}.2`;
  }

  ip(...args) {
    return execFileSync('ip', args, { stdio: 'pipe' });
  }

  /** [command, args] that run `program args` in namespace `ns`. */
  wrap(ns, program, args) {
    return ['ip', ['netns', 'exec', ns, program, ...args]];
  }

  /** Run a program in `ns` to completion: its stdout. */
  run(ns, program, args) {
    return execFileSync('ip', ['netns', 'exec', ns, program, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  }

  /** An executable that starts Chromium inside `b` (Playwright talks to it over pipes). */
  async chromiumIn(dir, chromium) {
    const file = path.join(dir, 'chromium-in-netns.sh');
    await writeFile(file, `#!/bin/sh\nexec ip netns exec ${this.b} ${chromium} "$@"\n`);
    await chmod(file, 0o755);
    return file;
  }

  /** tcpdump on the veth in `a`, writing every packet to `file` as it comes. */
  capture(file, port) {
    const child = spawn('ip', ['netns', 'exec', this.a, 'tcpdump', '-i', this.vethA, '-U', '-s', '0', '-w', file, 'tcp', 'port', String(port)],
      { stdio: ['ignore', 'ignore', 'pipe'] });
    const ready = new Promise((resolve, reject) => {
      let err = '';
      child.stderr.on('data', (chunk) => {
        err += chunk;
        if (/listening on/.test(err)) resolve();
      });
      child.once('exit', (code) => reject(new Error(`tcpdump exited (${code}): ${err}`)));
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    return {
      ready,
      async stop() {
        child.kill('SIGINT');
        await exited;
      },
    };
  }

  destroy() {
    for (const n of [this.a, this.b]) {
      try {
        execFileSync('ip', ['netns', 'del', n], { stdio: 'ignore' });
      } catch {
        // not made
      }
    }
  }
}

/**
 * The namespaces for a test file: {netns, skip}, `skip` the reason they cannot be
 * made here (no root), or false; under CI that throws instead.
 */
export function netnsForTest() {
  const netns = Netns.create();
  const skip = netns.skip ? `needs network namespaces (root): ${netns.skip}` : false;
  if (skip && process.env.CI) throw new Error(`under CI the namespaces must work: ${netns.skip}`);
  return { netns, skip };
}

/** The harness's relay, run in namespace `a` on every address; its API over loopback there. */
export class NetnsRelay extends Relay {
  constructor(opts, netns) {
    super(opts);
    this.netns = netns;
    this.bind = '0.0.0.0';
    this.url = `http://${netns.relayIp}:${opts.port}`;
  }

  command(args) {
    return this.netns.wrap(this.netns.a, binary, args);
  }

  /** The desktop token works from the relay's own machine only: call from `a`'s loopback. */
  async api(method, pathname, body) {
    const args = ['-s', '-m', '10', '-X', method, '-H', `Authorization: Bearer ${this.token}`, '-w', '\n%{http_code}'];
    if (body !== undefined) args.push('-H', 'Content-Type: application/json', '--data-binary', JSON.stringify(body));
    args.push(`http://127.0.0.1:${this.port}${pathname}`);
    const out = this.netns.run(this.netns.a, 'curl', args);
    const cut = out.lastIndexOf('\n');
    const text = out.slice(0, cut);
    let data = null;
    try {
      data = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: Number(out.slice(cut + 1)), data };
  }

  /** POST raw bytes from the phone's namespace (a replay), as an attacker on the Wi-Fi would. */
  postFromPhoneSide(pathname, bytes) {
    const args = ['-s', '-m', '10', '-X', 'POST', '-H', 'Content-Type: application/json', '--data-binary', '@-', '-w', '\n%{http_code}',
      `http://${this.netns.relayIp}:${this.port}${pathname}`];
    const out = execFileSync('ip', ['netns', 'exec', this.netns.b, 'curl', ...args], { input: bytes, stdio: ['pipe', 'pipe', 'pipe'] }).toString();
    const cut = out.lastIndexOf('\n');
    let data = null;
    try {
      data = JSON.parse(out.slice(0, cut));
    } catch {
      // not JSON
    }
    return { status: Number(out.slice(cut + 1)), data };
  }
}

/**
 * A test file's parts across the two namespaces: a data directory (named after
 * `prefix`), the relay in `a` (device "desk", `token`) and the phone's Chromium in
 * `b`, both started; `beforeStart(dir, relay)` runs just before (a capture to begin).
 */
export async function startNetnsSuite(netns, { prefix, token, beforeStart = async () => {} }) {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  const relay = new NetnsRelay({ port: await freePort(), token, dataDir: path.join(dir, 'data'), deviceId: 'desk' }, netns);
  await beforeStart(dir, relay);
  const [browser] = await Promise.all([launch(await netns.chromiumIn(dir, CHROMIUM)), relay.start()]);
  return { dir, relay, browser };
}

/** The end of such a file: the browser, the relay, the namespaces and the data gone. */
export async function stopNetnsSuite(netns, { dir, relay, browser } = {}) {
  await browser?.close();
  await relay?.dispose();
  netns.destroy();
  if (dir) await rm(dir, { recursive: true, force: true });
}
