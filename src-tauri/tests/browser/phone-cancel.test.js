// Held messages and Cancel on the phone page (issue 13), in a real Chromium
// (phone-sized) against the real relay binary with a hold limit of 1 s: the line
// next to Send while the desktop is paused, "held on desk", Cancel from the phone's
// outbox and from the desktop's queue (held or not), and a Cancel that comes too
// late (409 NOT_CANCELLABLE). Screenshots go to artifacts/browser/.

import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { screenshot, sentPosts, startSuite, stopSuite } from './lib/browser.js';
import { Relay } from './lib/relay.js';
import { WAIT, item, noProblems, pairedPhone as pairedWith, pauseDesktop, sendText } from './lib/phone.js';

const HOLD_AFTER_MS = 1000;

/** The real relay with `holdAfterSeconds: 1` in its settings.json. */
class HoldingRelay extends Relay {
  static async create(token) {
    const relay = await Relay.create(token);
    await writeFile(path.join(relay.dataDir, 'settings.json'), JSON.stringify({ holdAfterSeconds: HOLD_AFTER_MS / 1000 }));
    return relay;
  }
}

let relay;
let browser;
before(async () => ({ relay, browser } = await startSuite(HoldingRelay)));
after(() => stopSuite({ relay, browser }));

const pairedPhone = (options) => pairedWith(browser, relay, options);
const paused = (value) => pauseDesktop(relay, value);

const idOf = (page, text) => item(page, text).getAttribute('data-id');

/** What the relay says of a message (with the desktop's token). */
async function atRelay(id) {
  return (await relay.api('GET', `/transcription/${id}`)).data;
}

async function relayReaches(id, check) {
  const deadline = Date.now() + WAIT.timeout;
  for (;;) {
    const m = await atRelay(id);
    if (check(m)) return m;
    assert.ok(Date.now() < deadline, `relay: ${JSON.stringify(m)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The hold limit is a time: wait until `id` has waited longer than it. */
async function waitedPastTheHoldLimit(id) {
  const m = await atRelay(id);
  const left = m.createdAt + HOLD_AFTER_MS + 50 - Date.now();
  if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
}

describe('phone page: held messages and Cancel', () => {
  test('paused: the line next to Send says so; a held message shows "held on desk"; Cancel from the desktop queue', async () => {
    const { page, context, problems } = await pairedPhone();
    await paused(true);
    const first = 'Dictated while typing is paused.';
    await sendText(page, first);
    await item(page, first).and(page.locator('[data-status="queued"]')).waitFor(WAIT);
    const line = page.locator('#announce');
    // The same words as the status line, not "as soon as it is back online".
    await line.filter({ hasText: 'Paused on desk · 1 waiting' }).waitFor(WAIT);
    assert.doesNotMatch(await line.innerText(), /back online/);
    await page.locator('#conn[data-state="paused"]', { hasText: 'Paused on desk · 1 waiting' }).waitFor(WAIT);

    // Cancel a message queued on the paused desktop.
    const second = 'Cancelled while it waits on the desktop.';
    await sendText(page, second);
    await item(page, second).and(page.locator('[data-status="queued"]')).waitFor(WAIT);
    await line.filter({ hasText: 'Paused on desk · 2 waiting' }).waitFor(WAIT);
    const cancel = item(page, second).locator('button[data-action="cancel"]');
    assert.equal(await cancel.getAttribute('aria-label'), `Cancel “${second}”`);
    assert.equal(await cancel.innerText(), 'Cancel');
    await cancel.tap();
    await item(page, second).and(page.locator('[data-status="cancelled"]')).waitFor(WAIT);
    assert.equal(await item(page, second).locator('.badge').innerText(), 'Cancelled');
    assert.equal(await cancel.isVisible(), false, 'nothing left to cancel');
    await line.filter({ hasText: /Cancelled/ }).waitFor(WAIT);
    const cancelled = await atRelay(await idOf(page, second));
    assert.equal(cancelled.status, 'failed');
    assert.equal(cancelled.error, 'cancelled from the phone');

    // The first one waited longer than the hold limit: held when typing resumes.
    const firstId = await idOf(page, first);
    await waitedPastTheHoldLimit(firstId);
    await paused(false);
    await relayReaches(firstId, (m) => m.held === true);
    await item(page, first).and(page.locator('[data-held="true"]')).waitFor(WAIT);
    assert.equal(await item(page, first).locator('.badge').innerText(), 'Held');
    assert.match(await item(page, first).locator('.item-note').innerText(), /^Held on desk/);
    await screenshot(page, 'phone-light-held-cancel');

    // Cancel the held message.
    const cancelHeld = item(page, first).locator('button[data-action="cancel"]');
    assert.equal(await cancelHeld.getAttribute('aria-label'), `Cancel “${first}”`);
    await cancelHeld.tap();
    await item(page, first).and(page.locator('[data-status="cancelled"]')).waitFor(WAIT);
    const held = await atRelay(firstId);
    assert.equal(held.status, 'failed');
    assert.equal(held.error, 'cancelled from the phone');
    assert.equal(await item(page, first).getAttribute('data-held'), 'false');
    noProblems(problems);
    await context.close();
  });

  test('Cancel in the phone outbox: never sent; too late: says it was typed', async () => {
    await paused(false);
    const phone = await pairedPhone();
    const { page, context, problems } = phone;
    // Typed messages have nothing to cancel.
    const typed = 'Typed at once.';
    await sendText(page, typed);
    await item(page, typed).and(page.locator('[data-status="injected"]')).waitFor(WAIT);
    assert.equal(await item(page, typed).locator('button[data-action="cancel"]').isVisible(), false);

    // The relay is away: the message waits in the phone's outbox, and is cancelled there.
    await relay.stop();
    const unsent = 'Never to be sent.';
    await sendText(page, unsent);
    await item(page, unsent).and(page.locator('[data-status="pending"]')).waitFor(WAIT);
    await item(page, unsent).locator('button[data-action="cancel"]').tap();
    await item(page, unsent).and(page.locator('[data-status="cancelled"]')).waitFor(WAIT);
    const unsentId = await idOf(page, unsent);
    const postsOf = async (id) => (await sentPosts(phone)).filter((p) => p.body.id === id).length;
    const triedWhileAway = await postsOf(unsentId);
    await relay.start();
    await page.locator('#conn[data-state="online"]').waitFor(WAIT);
    const late = 'Sent after the relay came back.';
    await sendText(page, late);
    await item(page, late).and(page.locator('[data-status="injected"]')).waitFor(WAIT);
    assert.equal(await postsOf(unsentId), triedWhileAway, 'not sent again once cancelled');
    assert.equal((await relay.api('GET', `/transcription/${unsentId}`)).status, 404);

    // A Cancel that arrives after the desktop took the message: 409, said plainly.
    await paused(true);
    const tooLate = 'Typed before the Cancel arrived.';
    await sendText(page, tooLate);
    await item(page, tooLate).and(page.locator('[data-status="queued"]')).waitFor(WAIT);
    const id = await idOf(page, tooLate);
    // The page stops following (as when the phone's screen is off) ...
    await page.evaluate(() => Object.defineProperty(document, 'hidden', { configurable: true, get: () => true }));
    await paused(false);
    // ... while the desktop types it (released if it was held).
    const seen = await relayReaches(id, (m) => m.status !== 'queued' || m.held);
    if (seen.held) assert.equal((await relay.api('POST', `/ui/api/messages/${id}/release`)).status, 204);
    await relayReaches(id, (m) => m.status === 'injected');
    await page.evaluate(() => delete document.hidden);
    assert.equal(await item(page, tooLate).getAttribute('data-status'), 'queued', 'the page has not heard yet');
    await item(page, tooLate).locator('button[data-action="cancel"]').tap();
    await page.locator('#announce', { hasText: /Too late to cancel/ }).waitFor(WAIT);
    assert.match(await page.locator('#announce').innerText(), /desk already has it/);
    await item(page, tooLate).and(page.locator('[data-status="injected"]')).waitFor(WAIT);
    noProblems(problems);
    await context.close();
  });
});
