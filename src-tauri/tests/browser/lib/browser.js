// Debian's Chromium driven by playwright-core (no browser downloads here: Playwright's
// own builds cannot be installed, and are not needed).

import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { repoRoot } from './relay.js';

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const ARTIFACTS = path.join(repoRoot, 'artifacts', 'browser');

export async function launch() {
  await mkdir(ARTIFACTS, { recursive: true });
  // chromium.launch gives every run a fresh temporary profile (user data dir).
  return chromium.launch({
    executablePath: CHROMIUM,
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
  // Every POST /transcription the page makes, with its answer (`failed`: no answer,
  // e.g. the relay was down), to check that a resent message keeps its id.
  const posts = [];
  const byRequest = new Map();
  context.on('weberror', (err) => problems.push(`page error: ${err.error().message}`));
  context.on('console', (msg) => {
    // Refused connections and 401s are expected in these tests; CSP violations are not.
    if (msg.type() === 'error' && !/^Failed to load resource/.test(msg.text())) {
      problems.push(`console error: ${msg.text()}`);
    }
  });
  context.on('request', (req) => {
    if (req.method() === 'POST' && new URL(req.url()).pathname === '/transcription') {
      const entry = { body: JSON.parse(req.postData() || 'null'), response: null, failed: false };
      byRequest.set(req, entry);
      posts.push(entry);
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
  return { context, page, problems, posts };
}

export function screenshot(page, name) {
  return page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
}
