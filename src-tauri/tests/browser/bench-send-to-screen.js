// Send to screen (issue 14): from the tap on Send in the real phone page to the last
// character in a focused xterm on the desktop.
//
// Two network namespaces joined by a link that emulates Wi-Fi (5 ± 2 ms each way, as
// `tc netem delay 5ms 2ms`; see wifiLink below): in one, the phone page in Chromium; in the other, `saytype
// serve --inject type` (relay + its own agent) with Xvfb and a focused xterm. The
// phone pairs for real (sealed link, from a one-time pairing link). For each
// message: fill the box, tap Send; the page stamps the click (performance.timeOrigin
// + event.timeStamp, i.e. CLOCK_REALTIME); the program in the xterm
// (lib/screen_reader.py) stamps each chunk the terminal hands it with CLOCK_REALTIME,
// which every namespace of one host shares. The next message goes once the page
// shows the last one as typed, as a user would. The breakdown uses the message's own
// times in the relay (createdAt, deliveredAt = the agent's ACK, injectedAt = the
// agent's result), in ms.
//
//   scripts/bench-send-to-screen.sh           (builds the release binary, runs as root)
//   SAYTYPE_BIN=target/release/saytype node src-tauri/tests/browser/bench-send-to-screen.js [N]
// N: messages per series (default 100). Needs root, Xvfb, xterm, xdotool, python3.

import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM, PHONE, launch } from './lib/browser.js';
import { Netns, NetnsRelay } from './lib/netns.js';
import { freePort } from './lib/relay.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const N = Number(process.argv[2] || 100);
const DISPLAY = process.env.SAYTYPE_BENCH_DISPLAY || ':74';
const TOKEN = randomBytes(24).toString('base64url');
const WAIT = { timeout: 30000 };
/** The emulated Wi-Fi link, each way: delay and jitter (ms), as `netem delay 5ms 2ms`. */
const WIFI_MS = [5, 2];

/** A user's pause between seeing a message typed and tapping Send again. */
const PAUSE_MS = 300;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(what, check, ms = 30000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

const WORDS = ('the quick brown fox jumps over a lazy dog while seven wizards box and quietly judge '
  + 'every sentence we dictate into the phone so that it appears on the desktop right away').split(' ');

/** A dictation-like ASCII text of exactly `len` characters, unique by `tag`. */
function text(len, tag) {
  let s = `${tag}`;
  let i = tag.length;
  while (s.length < len) s += ` ${WORDS[i++ % WORDS.length]}`;
  s = s.slice(0, len);
  // No trailing space (the page sends the text as it is, but keep it tidy).
  return s.endsWith(' ') ? `${s.slice(0, -1)}.` : s;
}

function pct(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.round((sorted.length - 1) * p))];
}

function stats(values) {
  const s = [...values].sort((a, b) => a - b);
  return { p50: pct(s, 0.5), p99: pct(s, 0.99), max: s[s.length - 1] };
}

const ms = (v) => `${v.toFixed(1)} ms`;

/**
 * The link between the namespaces: two TUN devices and lib/wifi_link.py between
 * them, delaying (and, when asked, dropping) every packet each way. This machine's
 * kernel has no netem (CONFIG_NET_SCH_NETEM is not set), which would do the same on
 * the veth; the veth's addresses move to the TUN devices.
 */
async function wifiLink(netns) {
  const [tunA, tunB] = [netns.vethA.replace('va', 'ta'), netns.vethB.replace('vb', 'tb')];
  // Above the desktop's and the builds' priority: a network link does not wait for a
  // CPU (the machine this runs on is shared).
  const child = spawn('nice', ['-n', '-10', 'python3', path.join(here, 'lib/wifi_link.py'), netns.a, tunA, netns.b, tunB, ...WIFI_MS.map(String)],
    { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    child.stdout.once('data', (d) => (String(d).startsWith('ready') ? resolve() : reject(new Error(String(d)))));
    child.once('exit', (code) => reject(new Error(`wifi_link.py exited (${code})`)));
  });
  const ip = (...args) => execFileSync('ip', args, { stdio: 'pipe' });
  ip('-n', netns.a, 'addr', 'flush', 'dev', netns.vethA);
  ip('-n', netns.b, 'addr', 'flush', 'dev', netns.vethB);
  ip('-n', netns.a, 'addr', 'add', netns.relayIp, 'peer', netns.phoneIp, 'dev', tunA);
  ip('-n', netns.b, 'addr', 'add', netns.phoneIp, 'peer', netns.relayIp, 'dev', tunB);
  ip('-n', netns.a, 'link', 'set', tunA, 'up');
  ip('-n', netns.b, 'link', 'set', tunB, 'up');
  return {
    loss(p) {
      child.stdin.write(`loss ${p}\n`);
    },
    stop() {
      child.kill();
    },
  };
}

/** The desktop: Xvfb, and an xterm running the reader, focused. Everything in `ns`. */
async function desktop(netns, dir) {
  const inA = (program, args, opts = {}) => spawn('ip', ['netns', 'exec', netns.a, program, ...args],
    { stdio: 'ignore', env: { ...process.env, DISPLAY }, ...opts });
  const socket = `/tmp/.X11-unix/X${DISPLAY.slice(1)}`;
  if (existsSync(socket)) throw new Error(`display ${DISPLAY} is taken (SAYTYPE_BENCH_DISPLAY=:N)`);
  const xvfb = inA('Xvfb', [DISPLAY, '-screen', '0', '1280x800x24', '-nolisten', 'tcp']);
  await until('Xvfb', () => existsSync(socket), 10000);
  const log = path.join(dir, 'screen.log');
  const xterm = inA('xterm', ['-u8', '-geometry', '160x50', '-class', 'pfbench', '-e', 'python3', path.join(here, 'lib/screen_reader.py'), log]);
  await until('the reader in the xterm', async () => (await readFile(log, 'utf8').catch(() => '')).startsWith('ready'), 10000);
  execFileSync('ip', ['netns', 'exec', netns.a, 'xdotool', 'search', '--sync', '--class', 'pfbench', 'windowfocus', '--sync'],
    { env: { ...process.env, DISPLAY }, stdio: 'ignore' });
  return {
    log,
    /** [realtime ns, total bytes] of every chunk so far. */
    async chunks() {
      const lines = (await readFile(log, 'utf8')).split('\n').slice(1).filter(Boolean);
      return lines.map((l) => l.split(' ').map(Number));
    },
    async data() {
      return readFile(`${log}.data`, 'utf8');
    },
    stop() {
      xterm.kill();
      xvfb.kill();
    },
  };
}

/** Stamps every tap on Send: performance.timeOrigin + event.timeStamp (ms, realtime). */
function stampClicks() {
  window.__taps = [];
  document.addEventListener('click', (e) => {
    if (e.target?.closest?.('#send')) window.__taps.push(performance.timeOrigin + e.timeStamp);
  }, true);
}

/**
 * One series: `n` messages of `len` characters, each sent once the last shows as
 * typed and a user would have read it (PAUSE_MS). `posts`: when each sealed POST left
 * the page (ms, realtime) and whether it opened a new connection.
 */
async function series(label, page, screen, relay, len, n, posts) {
  const sent = [];
  let expectedBytes = (await screen.chunks()).at(-1)?.[1] ?? 0;
  const results = [];
  for (let i = 0; i < n; i++) {
    const t = text(len, `${label}${i}`);
    await page.locator('#text').fill(t);
    await page.locator('#send').click();
    expectedBytes += Buffer.byteLength(t);
    const chunks = await until(`message ${i} of ${label} on the screen`, async () => {
      const c = await screen.chunks();
      return c.length && c.at(-1)[1] >= expectedBytes ? c : null;
    });
    const done = chunks.find(([, total]) => total >= expectedBytes)[0];
    const tap = (await page.evaluate(() => window.__taps.at(-1)));
    sent.push(t);
    results.push({ text: t, tap, screenNs: done });
    // As a user who waits to see it typed, and reads it.
    await page.locator('li.item[data-status="injected"]', { has: page.locator('.item-text', { hasText: t.slice(0, 40) }) }).first().waitFor(WAIT);
    await sleep(PAUSE_MS);
  }
  // The relay's own times of each message.
  const { data: history } = await relay.api('GET', '/ui/api/history?limit=1000');
  const byText = new Map(history.map((m) => [m.text, m]));
  const rows = results.map((r) => {
    const m = byText.get(r.text);
    const screenMs = r.screenNs / 1e6;
    // The page's sealed POST that carried it: the first to leave after the tap.
    const post = posts.find((p) => p.start >= r.tap - 1);
    return {
      total: screenMs - r.tap,
      inPage: post ? post.start - r.tap : NaN,
      newConnection: post?.connected ?? false,
      toRelay: m.createdAt - r.tap,
      relayToAck: m.deliveredAt - m.createdAt,
      typing: m.injectedAt - m.deliveredAt,
      toScreen: screenMs - m.injectedAt,
      copies: history.filter((h) => h.text === r.text).length,
    };
  });
  return { sent, rows };
}

function report(title, rows) {
  const total = stats(rows.map((r) => r.total));
  const part = (k) => stats(rows.map((r) => r[k])).p50;
  console.log(`${title}: tap -> last character in the xterm: p50 ${ms(total.p50)}  p99 ${ms(total.p99)}  max ${ms(total.max)}`);
  const fresh = rows.filter((r) => r.newConnection).length;
  console.log(`  breakdown, p50 of each part (ms clocks): tap -> the page's sealed POST leaves ${ms(part('inPage'))} `
    + `(${fresh} of ${rows.length} on a new TCP connection); tap -> stored at the relay ${ms(part('toRelay'))}; `
    + `stored -> agent's ACK ${ms(part('relayToAck'))}; ACK -> agent's "injected" ${ms(part('typing'))}; `
    + `"injected" -> in the xterm ${ms(part('toScreen'))}`);
  return total;
}

async function main() {
  const netns = Netns.create({ prefix: 'pf' });
  if (netns.skip) throw new Error(`needs network namespaces (root): ${netns.skip}`);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pf-send-to-screen-'));
  let relay;
  let browser;
  let screen;
  let link;
  try {
    link = await wifiLink(netns);
    screen = await desktop(netns, dir);
    const port = await freePort();
    relay = new NetnsRelay({ port, token: TOKEN, dataDir: path.join(dir, 'data'), deviceId: 'desk', inject: 'type' }, netns);
    const env = relay.environment.bind(relay);
    relay.environment = () => ({ ...env(), DISPLAY });
    await relay.start();
    await until('the agent online', async () => (await relay.api('GET', '/devices')).data?.some((d) => d.deviceId === 'desk' && d.online));
    browser = await launch(await netns.chromiumIn(dir, CHROMIUM));
    const context = await browser.newContext({ ...PHONE, colorScheme: 'light' });
    await context.addInitScript(stampClicks);
    const posts = [];
    context.on('requestfinished', (req) => {
      if (req.method() !== 'POST' || !req.url().endsWith('/phone/v1/sealed')) return;
      const t = req.timing();
      posts.push({ start: t.startTime, connected: t.connectEnd > 0 && t.connectStart >= 0 });
    });
    const page = await context.newPage();
    await page.goto(await relay.pairLink());
    await page.locator('#conn[data-state="online"]').waitFor(WAIT);
    // The link's round trip, as TCP connects from the phone's side see it.
    const rtts = [];
    for (let i = 0; i < 10; i++) {
      const out = execFileSync('ip', ['netns', 'exec', netns.b, 'curl', '-s', '-o', '/dev/null', '-w', '%{time_connect}',
        `http://${netns.relayIp}:${port}/phone/v1/info`]).toString();
      rtts.push(Number(out) * 1000);
    }
    const loadavg = (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');
    console.log(`send to screen: ${N} messages per series, link delay ${WIFI_MS.join(' ± ')} ms each way (lib/wifi_link.py), `
      + `${os.cpus().length} cores, load average ${loadavg}`);
    const rtt = stats(rtts);
    console.log(`  link: TCP connect (one round trip) p50 ${ms(rtt.p50)}, max ${ms(rtt.max)}`);

    // Warm-up: pairing is done; a few messages so that caches and connections are warm.
    await series('warm', page, screen, relay, 100, 3, posts);
    const all = [];
    for (const [label, len, loss] of [['a', 100, 0], ['b', 1000, 0], ['c', 100, 0.01]]) {
      link.loss(loss);
      const { sent, rows } = await series(label, page, screen, relay, len, N, posts);
      all.push(...sent);
      report(`${len} characters, loss ${loss * 100}%`, rows);
      const doubled = rows.filter((r) => r.copies !== 1).length;
      console.log(`  messages stored other than once: ${doubled}`);
    }
    // Everything the xterm received, against everything sent (warm-up first).
    const received = await screen.data();
    const warm = [0, 1, 2].map((i) => text(100, `warm${i}`)).join('');
    const expected = warm + all.join('');
    let same = 0;
    while (same < expected.length && received[same] === expected[same]) same++;
    console.log(`  the xterm received ${received.length} characters, ${expected.length} sent: `
      + (received === expected ? 'identical (nothing lost, changed or doubled)' : `DIFFERENT from character ${same}`));
    await context.close();
  } finally {
    await browser?.close().catch(() => {});
    await relay?.dispose().catch(() => {});
    screen?.stop();
    link?.stop();
    netns.destroy();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
