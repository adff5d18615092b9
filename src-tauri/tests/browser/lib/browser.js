// Debian's Chromium driven by playwright-core (no browser downloads here: Playwright's
// own builds cannot be installed, and are not needed).

import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { repoRoot } from './relay.js';
import { directionKeys, openRequest, openResponse, unb64 } from '../../../../ui/lib/sealed.js';

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const ARTIFACTS = path.join(repoRoot, 'artifacts', 'browser');

export async function launch(executablePath = CHROMIUM) {
  await mkdir(ARTIFACTS, { recursive: true });
  // chromium.launch gives every run a fresh temporary profile (user data dir).
  return chromium.launch({
    executablePath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export const PHONE = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
  userAgent: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Mobile Safari/537.36',
};

export const DESKTOP = { viewport: { width: 1280, height: 800 } };
/** The Tauri window's size. */
export const WINDOW = { viewport: { width: 900, height: 640 } };

// Runs in the page before its own script: logs the statuses each history entry
// showed, as the user saw them (delivered, then injected, ...).
function recordStatuses() {
  const seen = new Map();
  window.__statusLog = [];
  new MutationObserver(() => {
    for (const li of document.querySelectorAll('li.item')) {
      const { id, status } = li.dataset;
      if (seen.get(id) !== status) {
        seen.set(id, status);
        window.__statusLog.push({ id, status });
      }
    }
  }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-status'] });
}

/**
 * A new context and page that record what the page sends, and any CSP violation or
 * script error (the relay's CSP forbids inline code and styles: a violation is a bug).
 */
export async function openPage(browser, options = {}) {
  const context = await browser.newContext({ colorScheme: 'light', ...options });
  await context.addInitScript(recordStatuses);
  const problems = [];
  // Every sealed call the page makes, as it crossed the network (`failed`: no
  // answer, e.g. the relay was down); sentPosts() opens them.
  const sealed = [];
  const byRequest = new Map();
  context.on('weberror', (err) => problems.push(`page error: ${err.error().message}`));
  context.on('console', (msg) => {
    // Refused connections and 401s are expected in these tests; CSP violations are not.
    if (msg.type() === 'error' && !/^Failed to load resource/.test(msg.text())) {
      problems.push(`console error: ${msg.text()}`);
    }
  });
  context.on('request', (req) => {
    if (req.method() === 'POST' && new URL(req.url()).pathname === '/phone/v1/sealed') {
      const entry = { envelope: JSON.parse(req.postData() || 'null'), response: null, failed: false };
      byRequest.set(req, entry);
      sealed.push(entry);
    }
  });
  context.on('requestfailed', (req) => {
    const entry = byRequest.get(req);
    if (entry) entry.failed = true;
  });
  context.on('response', async (res) => {
    const entry = byRequest.get(res.request());
    if (entry) entry.response = { status: res.status(), data: await res.json().catch(() => null) };
  });
  const page = await context.newPage();
  return { context, page, problems, sealed };
}

const utf8 = new TextDecoder();

/**
 * The POST /transcription calls a phone made, opened with the key the page keeps
 * (as the relay opens them): [{body, response: {status, data} | null, failed}], to
 * check that a resent message keeps its id.
 */
export async function sentPosts(phone, page = phone.page) {
  const pairing = await page.evaluate(() => JSON.parse(localStorage.getItem('saytype.pairing')));
  if (!pairing) return [];
  const keys = directionKeys(unb64(pairing.key));
  const posts = [];
  for (const { envelope, response, failed } of phone.sealed) {
    if (envelope.phone !== pairing.phoneId) continue;
    const call = JSON.parse(utf8.decode(openRequest(keys.request, envelope.phone, envelope.ctr, unb64(envelope.nonce), unb64(envelope.box))));
    if (call.method !== 'POST' || call.path !== '/transcription') continue;
    let answer = null;
    if (response?.status === 200) {
      const { data } = response;
      const reply = JSON.parse(utf8.decode(openResponse(keys.response, envelope.phone, envelope.ctr, unb64(data.nonce), unb64(data.box))));
      answer = { status: reply.status, data: reply.body };
    } else if (response) {
      answer = response;
    }
    posts.push({ body: call.body, response: answer, failed });
  }
  return posts;
}

export function screenshot(page, name) {
  return page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
}

/** A test file's relay (of `RelayClass`, with `token`) and browser, both started. */
export async function startSuite(RelayClass, token = randomBytes(24).toString('base64url')) {
  const relay = await RelayClass.create(token);
  const [browser] = await Promise.all([launch(), relay.start()]);
  return { relay, browser };
}

/** The end of a test file: the browser closed, the relay stopped and its data gone. */
export async function stopSuite({ relay, browser }) {
  await browser?.close();
  await relay?.dispose();
}
