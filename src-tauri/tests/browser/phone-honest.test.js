// The phone page's rules of issue 13 in a real Chromium (phone-sized), against the
// real relay binary: honest states (recorded, paused), the connection line that
// follows the relay, the dictation box and the keyboard's composition (synthetic
// composition events dispatched in the page), the draft saved when the page is
// hidden, "Reuse" as an explicit button, the "Send to" row, landscape with the
// keyboard up, pairing errors announced. Screenshots go to artifacts/browser/.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PHONE, openPage, screenshot, sentPosts, startSuite, stopSuite } from './lib/browser.js';
import { Relay } from './lib/relay.js';
import { WAIT, item, noProblems, pairedPhone as pairedWith, pauseDesktop, sendText } from './lib/phone.js';

let relay;
let browser;
before(async () => ({ relay, browser } = await startSuite(Relay)));
after(() => stopSuite({ relay, browser }));

const pairedPhone = (options) => pairedWith(browser, relay, options);
const paused = (value) => pauseDesktop(relay, value);

describe('phone page, issue 13', () => {
  test('one desktop: no "Send to" row; recorded, not typed; a paused desktop is shown paused with its waiting count', async () => {
    const { page, context, problems } = await pairedPhone();
    // One desktop: nothing to choose, the picker takes no row.
    assert.equal(await page.locator('#target').isHidden(), true);
    const bar = await page.locator('#sendbar').boundingBox();
    const send = await page.locator('#send').boundingBox();
    assert.ok(bar.height < send.height + 40, `one row: send bar ${bar.height} px, Send ${send.height} px`);

    const text = 'Recorded, since this desktop types nothing.';
    await sendText(page, text);
    await item(page, text).and(page.locator('[data-status="injected"]')).waitFor(WAIT);
    assert.equal(await item(page, text).locator('.badge').innerText(), 'Recorded');
    assert.match(await item(page, text).locator('.item-note').innerText(), /Recorded on desk, not typed/);
    assert.doesNotMatch(await page.locator('main').innerText(), /Typed/);

    await paused(true);
    const waiting = 'Dictated while typing is paused.';
    await sendText(page, waiting);
    await page.locator('#conn[data-state="paused"]', { hasText: 'Paused on desk · 1 waiting' }).waitFor(WAIT);
    assert.equal(await item(page, waiting).locator('.badge').innerText(), 'Queued');
    assert.match(await item(page, waiting).locator('.item-note').innerText(), /Typing is paused on desk/);
    await screenshot(page, 'phone-light-paused');

    await paused(false);
    await item(page, waiting).and(page.locator('[data-status="injected"]')).waitFor(WAIT);
    await page.locator('#conn[data-state="online"]', { hasText: 'Connected' }).waitFor(WAIT);
    noProblems(problems);
    await context.close();
  });

  test('the connection line follows the relay within about 2 s, without hammering it', async (t) => {
    const { page, context, problems } = await pairedPhone();
    const probes = [];
    page.on('request', (req) => {
      if (new URL(req.url()).pathname === '/phone/v1/info') probes.push(Date.now());
    });
    // Idle and connected: a check every 1.5 s, nothing more.
    await page.waitForTimeout(4600);
    assert.ok(probes.length >= 2 && probes.length <= 4, `${probes.length} checks in 4.6 s`);

    const stopped = Date.now();
    await relay.stop();
    await page.locator('#conn[data-state="offline"]').waitFor({ timeout: 4000 });
    const noticed = Date.now() - stopped;
    assert.match(await page.locator('#conn').innerText(), /Not connected/);

    // Away: the checks back off (1 s, 2 s, 4 s …).
    const from = probes.length;
    await page.waitForTimeout(6000);
    assert.ok(probes.length - from <= 4, `${probes.length - from} checks in 6 s while away`);

    await relay.start();
    await page.locator('#conn[data-state="online"]').waitFor(WAIT);
    t.diagnostic(`noticed the relay gone after ${noticed} ms`);
    noProblems(problems);
    await context.close();
  });

  test('the dictation box: no write while composing, draft saved on hide, Reuse is a button', async () => {
    const phone = await pairedPhone();
    const { page, context, problems } = phone;
    const old = 'An old message, sent before.';
    await sendText(page, old);
    await item(page, old).and(page.locator('[data-status="injected"]')).waitFor(WAIT);
    const box = page.locator('#text');

    // A tap on the old message while dictating leaves the box alone.
    await box.fill('I am dictat');
    await item(page, old).locator('.item-text').tap();
    assert.equal(await box.inputValue(), 'I am dictat');

    // Reuse during a composition waits for its end.
    await page.evaluate(() => {
      const text = document.getElementById('text');
      text.focus();
      text.dispatchEvent(new CompositionEvent('compositionstart', { data: '' }));
      text.value = 'I am dictating';
      text.dispatchEvent(new InputEvent('input', { inputType: 'insertCompositionText', data: 'dictating', isComposing: true }));
      document.querySelector('li.item button[data-action="reuse"]').click();
    });
    assert.equal(await box.inputValue(), 'I am dictating', 'not written while composing');
    // Gboard: one word's composition ends and the next begins at once: still composing.
    await page.evaluate(() => {
      const text = document.getElementById('text');
      text.dispatchEvent(new CompositionEvent('compositionend', { data: 'dictating' }));
      text.dispatchEvent(new CompositionEvent('compositionstart', { data: '' }));
    });
    await page.waitForTimeout(100);
    assert.equal(await box.inputValue(), 'I am dictating', 'not written while the next word is composed');
    await page.evaluate(() => document.getElementById('text').dispatchEvent(new CompositionEvent('compositionend', { data: '' })));
    await page.waitForFunction(() => document.getElementById('text').value === `I am dictating\n${'An old message, sent before.'}`, null, WAIT);
    const reuse = item(page, old).locator('button[data-action="reuse"]');
    assert.equal(await reuse.getAttribute('aria-label'), `Reuse “${old}”`);

    // Send (Ctrl+Enter) during a composition: the box is read and emptied at its end.
    const before = (await sentPosts(phone)).length;
    await page.evaluate(() => {
      const text = document.getElementById('text');
      text.value = 'Sent once the words are in';
      text.dispatchEvent(new CompositionEvent('compositionstart', { data: '' }));
      text.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', ctrlKey: true, bubbles: true, cancelable: true }));
    });
    assert.equal(await box.inputValue(), 'Sent once the words are in');
    assert.equal(await page.locator('li.item').count(), 1, 'nothing sent while composing');
    await page.evaluate(() => {
      const text = document.getElementById('text');
      text.value = 'Sent once the words are in.';
      text.dispatchEvent(new CompositionEvent('compositionend', { data: 'in.' }));
    });
    await item(page, 'Sent once the words are in.').waitFor(WAIT);
    assert.equal(await box.inputValue(), '');
    const posts = (await sentPosts(phone)).slice(before).map((p) => p.body.text);
    assert.deepEqual([...new Set(posts)], ['Sent once the words are in.']);

    // The draft is saved the moment the page is hidden, not 250 ms later.
    const saved = await page.evaluate(() => {
      const text = document.getElementById('text');
      text.value = 'Words dictated just before the screen locked';
      text.dispatchEvent(new InputEvent('input', { inputType: 'insertText' }));
      window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: true }));
      const onPagehide = JSON.parse(localStorage.getItem('saytype.draft'));
      text.value = 'And after switching apps';
      text.dispatchEvent(new InputEvent('input', { inputType: 'insertText' }));
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
      document.dispatchEvent(new Event('visibilitychange'));
      delete document.hidden;
      return [onPagehide, JSON.parse(localStorage.getItem('saytype.draft'))];
    });
    assert.deepEqual(saved, ['Words dictated just before the screen locked', 'And after switching apps']);
    await page.reload();
    assert.equal(await box.inputValue(), 'And after switching apps');
    await screenshot(page, 'phone-light-reuse-button');
    noProblems(problems);
    await context.close();
  });

  test('landscape with the keyboard up: the box shows several lines, Send stays in reach', async () => {
    const { page, context, problems } = await pairedPhone({ ...PHONE, viewport: { width: 740, height: 360 } });
    await sendText(page, 'A message in the history below the box.');
    await page.locator('li.item').first().waitFor(WAIT);
    // The keyboard takes half the height (resizes-content: the page gets the rest).
    await page.setViewportSize({ width: 740, height: 170 });
    const box = page.locator('#text');
    await box.fill('First line of a long dictation\nsecond line\nthird line\nfourth line');
    await box.focus();
    const seen = await page.evaluate(() => {
      const text = document.getElementById('text').getBoundingClientRect();
      const main = document.getElementById('main').getBoundingClientRect();
      const send = document.getElementById('send').getBoundingClientRect();
      const lineHeight = parseFloat(getComputedStyle(document.getElementById('text')).lineHeight);
      const visible = Math.min(text.bottom, main.bottom, window.innerHeight) - Math.max(text.top, main.top, 0);
      return { visible, lineHeight, sendBottom: send.bottom, height: window.innerHeight };
    });
    await screenshot(page, 'phone-light-landscape-keyboard');
    assert.ok(seen.visible >= 2 * seen.lineHeight, `box shows ${seen.visible} px, a line is ${seen.lineHeight} px`);
    assert.ok(seen.sendBottom <= seen.height, 'Send is on screen');
    noProblems(problems);
    await context.close();
  });

  test('pairing errors are announced', async () => {
    const { page, context, problems } = await openPage(browser, PHONE);
    await page.goto(`${relay.url}/`);
    await page.locator('#pair summary').tap();
    await page.locator('#pair-link').fill('not a link at all');
    await page.locator('#pair-go').tap();
    const error = page.locator('#pair-error[role="alert"]');
    await error.filter({ hasText: 'does not look like a SayType pairing link' }).waitFor(WAIT);
    assert.equal(await error.isVisible(), true);

    // A used pairing link: the reason goes into a live region too.
    const link = await relay.pairLink();
    const first = await pairedPhoneFrom(link);
    await page.goto(link);
    await page.locator('#not-paired').waitFor({ state: 'visible', ...WAIT });
    const live = page.locator('#pair-live[role="alert"]');
    await live.filter({ hasText: /not paired with desk.*already used/ }).waitFor({ state: 'attached', ...WAIT });
    await first.close();
    noProblems(problems);
    await context.close();
  });
});

async function pairedPhoneFrom(link) {
  const { page, context } = await openPage(browser, PHONE);
  await page.goto(link);
  await page.locator('#conn[data-state="online"]').waitFor(WAIT);
  return context;
}
