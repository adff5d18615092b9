// The phone page's steps shared by its browser tests: a phone paired with the
// relay, a message sent, the desktop paused, a row of the history.

import assert from 'node:assert/strict';
import { PHONE, openPage } from './browser.js';

export const WAIT = { timeout: 20000 };

/** The history row of the message with this text. */
export const item = (page, text) => page.locator('li.item', { has: page.locator('.item-text', { hasText: text }) });

/** A new phone-sized page, paired through a fresh one-time link, connected. */
export async function pairedPhone(browser, relay, options = PHONE) {
  const phone = await openPage(browser, options);
  await phone.page.goto(await relay.pairLink());
  await phone.page.locator('#conn[data-state="online"]').waitFor(WAIT);
  return phone;
}

/** What the page keeps in localStorage under `key`, parsed. */
export const stored = (page, key) => page.evaluate((k) => JSON.parse(localStorage.getItem(k)), key);

export async function sendText(page, text) {
  await page.locator('#text').fill(text);
  await page.locator('#send').click();
}

/** Pause or resume typing on the desktop, as its window does (answered once in force). */
export async function pauseDesktop(relay, value) {
  const { status } = await relay.api('POST', '/ui/api/pause', { paused: value });
  assert.equal(status, 200);
}

export function noProblems(problems) {
  assert.deepEqual(problems, [], 'no script errors or CSP violations');
}
