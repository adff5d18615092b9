// The desktop window (ui/index.html, app.js, app.css at /ui) in a real Chromium,
// against the real relay binary started without a display: the status, the live
// history (typed, failed with "no display", retried), delete, filter, pause, clear,
// settings, token rotation, and screenshots at a phone-sized and a desktop-sized
// viewport in light and dark (artifacts/browser/desktop-window-*.png).

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ARTIFACTS, DESKTOP, PHONE, WINDOW, openPage, startSuite, stopSuite } from './lib/browser.js';
import { DesktopRelay } from './lib/desktop-relay.js';
import { pairNodePhone } from './lib/node-phone.js';

const TOKEN = randomBytes(24).toString('base64url');
const WAIT = { timeout: 15000 };

let relay;
let browser;
before(async () => ({ relay, browser } = await startSuite(DesktopRelay, TOKEN)));
after(() => stopSuite({ relay, browser }));

/** Open the window the way the tray app does: /ui#token=…, clipboard allowed. */
async function openWindow(options = WINDOW, token = relay.token) {
  const opened = await openPage(browser, options);
  await opened.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: relay.url });
  await opened.page.goto(`${relay.url}/ui#token=${token}`);
  return opened;
}

const row = (page, id) => page.locator(`li.msg[data-id="${id}"]`);
const rowWithStatus = (page, id, status) => page.locator(`li.msg[data-id="${id}"][data-status="${status}"]`);

/** A message as a phone sends it (through the API, not the page). */
async function send(text) {
  const { status, data } = await relay.api('POST', '/transcription', { text });
  assert.equal(status, 200, JSON.stringify(data));
  return data.id;
}

/** Pausing is asynchronous (the agent leaves the relay): wait until it has. */
async function agentState(state) {
  for (let i = 0; i < 200; i += 1) {
    const { data } = await relay.api('GET', '/ui/api/status');
    if (data.localAgent && data.localAgent.state === state) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  assert.fail(`the local agent never became ${state}`);
}

async function record(id) {
  const { data } = await relay.api('GET', `/ui/api/history?id=${encodeURIComponent(id)}`);
  return data[0];
}

async function saveSettings(page, change) {
  await change();
  await page.locator('#s-save').click();
  await page.locator('#s-feedback[data-kind="ok"]').waitFor(WAIT);
}

function noProblems(problems) {
  assert.deepEqual(problems, [], 'no script errors or CSP violations');
}

describe('desktop window', () => {
  // One window kept open across the tests, like the real one.
  let win;

  test('shows the status: the local agent online, its injector, the relay, the token', async () => {
    win = await openWindow();
    const { page } = win;

    // The token left the address bar at once and is kept for reloads of this tab.
    assert.equal(page.url(), `${relay.url}/ui`);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('saytype.token')), TOKEN);

    await page.locator('#live[data-state="live"]').waitFor(WAIT);
    await page.locator('#agent', { hasText: 'Online' }).waitFor(WAIT);
    assert.match(await page.locator('#agent').innerText(), /desk\s+Online/);
    assert.match(await page.locator('#injector').innerText(), /recording only/);
    // Bound to 0.0.0.0 (as the tray app is): the port, and that it listens on the network.
    assert.match(await page.locator('#relay').innerText(), new RegExp(`port ${relay.port}[\\s\\S]*every network`));
    assert.match(await page.locator('#mdns').innerText(), /Off/);
    assert.match(await page.locator('#token-state').innerText(), /Set/);
    const desk = page.locator('#devices li[data-device="desk"]');
    assert.equal(await desk.getAttribute('data-online'), 'true');
    assert.match(await desk.innerText(), /desk\s+online · this desktop · default/);
    assert.match(await page.locator('#version').innerText(), /^v\d+\.\d+/);
    assert.equal(await page.locator('#pause').getAttribute('aria-pressed'), 'false');
    assert.match(await page.locator('#history-empty').innerText(), /Nothing yet/);

    // A reload keeps working from sessionStorage, without the token in the URL.
    await page.reload();
    await page.locator('#agent', { hasText: 'Online' }).waitFor(WAIT);
    assert.equal(await page.locator('#banner').isHidden(), true);

    // Settings and pairing are loaded; the QR code is an image (data: URL), not markup.
    await page.locator('#settings[data-loaded]').waitFor({ state: 'attached', ...WAIT });
    await page.locator('#pairing-card[data-loaded]').waitFor(WAIT);
    assert.equal(await page.locator('#s-inject').inputValue(), 'none');
    // The link carries a one-time pairing code, never the desktop token.
    assert.match(await page.locator('#pair-link').inputValue(), new RegExp(`:${relay.port}/#pair=[A-Za-z0-9_-]{22}$`));
    assert.ok(!(await page.locator('#pair-link').inputValue()).includes(TOKEN));
    assert.match(await page.locator('#paired-summary').innerText(), /No phone is paired yet/i);
    // A first run: pairing is the first thing the window shows (top of the side column).
    const top = async (id) => (await page.locator(id).boundingBox()).y;
    assert.ok(await top('#pairing-card') < await top('#status-card'), 'pairing above status');
    assert.match(await page.locator('#qr').getAttribute('src'), /^data:image\/svg\+xml/);
    assert.equal(await page.locator('#pairing-card svg').count(), 0);
    noProblems(win.problems);
  });

  test('a message sent by a phone appears live and becomes typed; its text can be copied', async () => {
    const { page } = win;
    let navigations = 0;
    page.on('framenavigated', () => {
      navigations += 1;
    });
    // Markup in a message stays text.
    const text = 'Hello from the phone <b>not bold</b> & "quoted"\nsecond line';
    const id = await send(text);
    await rowWithStatus(page, id, 'injected').waitFor(WAIT);
    assert.equal(navigations, 0, 'no reload');

    const li = row(page, id);
    assert.equal(await li.locator('.msg-text').innerText(), text);
    assert.equal(await li.locator('b').count(), 0);
    // Mode "none" (--inject none): recorded, never "Typed" (issue 13).
    assert.equal(await li.locator('.badge').innerText(), 'Recorded');
    assert.equal(await li.locator('.msg-device').innerText(), 'desk');
    assert.match(await li.locator('.msg-times').innerText(), /delivered in \d+ ms · recorded in \d+ ms/);
    assert.equal(await page.locator('#history-empty').isHidden(), true);

    await li.locator('[data-action="copy"]').click();
    await page.locator('#toast', { hasText: 'Text copied.' }).waitFor(WAIT);
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), text);

    // Newest first.
    const second = await send('The second message.');
    await rowWithStatus(page, second, 'injected').waitFor(WAIT);
    assert.deepEqual(await page.locator('li.msg').evaluateAll((lis) => lis.map((l) => l.dataset.id)), [second, id]);
    noProblems(win.problems);
  });

  test('mode "type" without a display: failed with the reason; back to "none", Retry types it', async () => {
    const { page } = win;
    await saveSettings(page, () => page.locator('#s-inject').selectOption('type'));
    assert.match(await page.locator('#s-feedback').innerText(), /Saved\. Applies from the next message\./);
    assert.equal((await relay.api('GET', '/ui/api/settings')).data.injectMode, 'type');
    // The new mode is checked at once: the status says typing cannot work here before
    // any message is lost to it.
    await page.locator('#injector .injector-bad', { hasText: 'no display' }).waitFor(WAIT);

    const text = 'This one cannot be typed without a display.';
    const failed = await send(text);
    await rowWithStatus(page, failed, 'failed').waitFor(WAIT);
    const li = row(page, failed);
    assert.equal(await li.locator('.badge').innerText(), 'Failed');
    assert.match(await li.locator('.msg-error').innerText(), /Not typed: no display: DISPLAY is not set/);
    // The status says why typing cannot work here.
    await page.locator('#injector .injector-bad', { hasText: 'no display' }).waitFor(WAIT);

    await saveSettings(page, () => page.locator('#s-inject').selectOption('none'));
    await page.locator('#injector', { hasText: 'recording only' }).waitFor(WAIT);

    await li.locator('[data-action="retry"]').click();
    const again = page.locator('li.msg[data-status="injected"]', { has: page.locator('.msg-text', { hasText: text }) });
    await again.waitFor(WAIT);
    const newId = await again.getAttribute('data-id');
    assert.notEqual(newId, failed, 'sent again as a new message');
    // The new message replaces the failed row: one row for one text, no lookalike.
    await li.waitFor({ state: 'detached', ...WAIT });
    assert.equal(await page.locator('li.msg', { has: page.locator('.msg-text', { hasText: text }) }).count(), 1);
    assert.equal((await relay.api('GET', `/ui/api/history?id=${failed}`)).data.length, 0, 'the relay replaced it too');
    assert.equal((await record(newId)).status, 'injected');
    assert.equal(await page.locator('li.msg').first().getAttribute('data-id'), newId);
    // Retrying something that did not fail is refused by the relay: no button for it.
    assert.equal(await row(page, newId).locator('[data-action="retry"]').count(), 0);
    noProblems(win.problems);
  });

  test('settings: start at login, port validation, changes made elsewhere', async () => {
    const { page } = win;
    const entry = path.join(relay.configHome, 'autostart', 'saytype.desktop');
    await saveSettings(page, () => page.locator('#s-login').check());
    assert.match(await readFile(entry, 'utf8'), /Name=SayType/);
    await saveSettings(page, () => page.locator('#s-login').uncheck());
    await assert.rejects(access(entry));

    await page.locator('#s-port').fill('80');
    assert.match(await page.locator('#s-feedback').innerText(), /Unsaved changes/);
    await page.locator('#s-save').click();
    assert.match(await page.locator('#s-feedback').innerText(), /from 1024 to 65535/);
    await saveSettings(page, () => page.locator('#s-port').fill('8123'));
    assert.match(await page.locator('#s-feedback').innerText(), /Port 8123 is used from the next start/);
    assert.equal((await relay.api('GET', '/ui/api/settings')).data.port, 8123);

    // Changed elsewhere (the tray menu): the form follows.
    const now = (await relay.api('GET', '/ui/api/settings')).data;
    const put = await fetch(`${relay.url}/ui/api/settings`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${relay.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ ...now, newline: 'return' }),
    });
    assert.equal(put.status, 200);
    await page.waitForFunction(() => document.getElementById('s-newline').value === 'return', null, WAIT);
    await saveSettings(page, () => page.locator('#s-newline').selectOption('shift-return'));

    // Dictating in a row: joining on and voice commands off by default; both toggles saved.
    assert.equal(await page.locator('#s-join').isChecked(), true);
    assert.equal(await page.locator('#s-commands').isChecked(), false);
    await saveSettings(page, async () => {
      await page.locator('#s-join').uncheck();
      await page.locator('#s-commands').check();
    });
    assert.match(await page.locator('#s-feedback').innerText(), /Applies from the next message/);
    const flow = (await relay.api('GET', '/ui/api/settings')).data;
    assert.deepEqual([flow.joinMessages, flow.voiceCommands], [false, true]);
    await saveSettings(page, async () => {
      await page.locator('#s-join').check();
      await page.locator('#s-commands').uncheck();
    });

    // History and waiting: the defaults shown, a wrong value named, a right one saved.
    assert.deepEqual(
      [await page.locator('#s-days').inputValue(), await page.locator('#s-max').inputValue(), await page.locator('#s-hold').inputValue()],
      ['30', '10000', '60'],
    );
    await page.locator('#s-days').fill('0');
    await page.locator('#s-save').click();
    assert.match(await page.locator('#s-feedback').innerText(), /1 to 3650 days/);
    assert.equal(await page.evaluate(() => document.activeElement.id), 's-days');
    await saveSettings(page, async () => {
      await page.locator('#s-days').fill('7');
      await page.locator('#s-max').fill('500');
      await page.locator('#s-hold').fill('0');
    });
    assert.match(await page.locator('#s-feedback').innerText(), /History and hold limits apply from the next start/);
    const kept = (await relay.api('GET', '/ui/api/settings')).data;
    assert.deepEqual([kept.historyDays, kept.historyMaxMessages, kept.holdAfterSeconds], [7, 500, 0]);
    // The relay checks too: a script's out-of-range value changes nothing.
    const refused = await fetch(`${relay.url}/ui/api/settings`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${relay.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ ...kept, historyDays: 0 }),
    });
    assert.equal(refused.status, 400);
    assert.match((await refused.json()).error.message, /1 to 3650 days/);
    assert.equal((await relay.api('GET', '/ui/api/settings')).data.historyDays, 7);
    noProblems(win.problems);
  });

  test('delete, filter, pause, clear', async () => {
    const { page } = win;
    // Delete: gone from the list and from the relay.
    const doomed = await send('Delete me.');
    await rowWithStatus(page, doomed, 'injected').waitFor(WAIT);
    await row(page, doomed).locator('[data-action="delete"]').click();
    await row(page, doomed).waitFor({ state: 'detached', ...WAIT });
    assert.deepEqual((await relay.api('GET', `/ui/api/history?id=${doomed}`)).data, []);

    // Filter.
    await page.locator('#filter [data-filter="failed"]').click();
    await page.locator('#filter [data-filter="failed"][aria-pressed="true"]').waitFor(WAIT);
    // The one failure so far was retried, and its new message took its place.
    await page.locator('#history-empty', { hasText: 'No failed messages.' }).waitFor(WAIT);
    assert.equal(await page.locator('li.msg').count(), 0);
    // A new message that is not failed does not appear under "Failed"…
    const hidden = await send('Not a failure.');
    await page.waitForFunction(async (id) => {
      const res = await fetch(`/ui/api/history?id=${id}`, {
        headers: { Authorization: `Bearer ${sessionStorage.getItem('saytype.token')}` },
      });
      return (await res.json())[0]?.status === 'injected';
    }, hidden, WAIT);
    await page.waitForTimeout(200);
    assert.equal(await row(page, hidden).count(), 0);
    await page.locator('#filter [data-filter="injected"]').click();
    await row(page, hidden).waitFor(WAIT);
    assert.deepEqual([...new Set(await page.locator('li.msg').evaluateAll((lis) => lis.map((l) => l.dataset.status)))], ['injected']);
    await page.locator('#filter [data-filter="queued"]').click();
    await page.locator('#history-empty', { hasText: 'No queued messages.' }).waitFor(WAIT);
    await page.locator('#filter [data-filter="all"]').click();
    await row(page, hidden).waitFor(WAIT);

    // Pause: the status says so, messages wait queued, resuming types them.
    await page.locator('#pause').click();
    await page.locator('#pause[aria-pressed="true"]').waitFor(WAIT);
    assert.equal(await page.locator('#pause').innerText(), 'Resume typing');
    await page.locator('#agent', { hasText: 'Paused' }).waitFor(WAIT);
    assert.equal((await relay.api('GET', '/ui/api/status')).data.localAgent.paused, true);
    await agentState('paused');
    const waiting = await send('Dictated while typing was paused.');
    await rowWithStatus(page, waiting, 'queued').waitFor(WAIT);
    assert.equal(await row(page, waiting).locator('.badge').innerText(), 'Queued');
    await page.locator('#devices li[data-device="desk"]', { hasText: '1 queued' }).waitFor(WAIT);
    // Paused, not offline (issue 13).
    const desk = page.locator('#devices li[data-device="desk"][data-paused="true"]');
    await desk.waitFor(WAIT);
    assert.match(await desk.locator('.row-sub').innerText(), /^paused · this desktop · default$/);
    await page.locator('#pause').click();
    await page.locator('#pause[aria-pressed="false"]').waitFor(WAIT);
    await rowWithStatus(page, waiting, 'injected').waitFor(WAIT);
    await page.locator('#agent', { hasText: 'Online' }).waitFor(WAIT);

    // Clear: asks first; Cancel keeps everything.
    const before = await page.locator('li.msg').count();
    assert.ok(before >= 4);
    await page.locator('#clear').click();
    await page.locator('#confirm[open]').waitFor(WAIT);
    assert.match(await page.locator('#confirm').innerText(), /Queued messages stay/);
    await page.locator('#confirm-cancel').click();
    await page.locator('#confirm').waitFor({ state: 'hidden', ...WAIT });
    assert.equal(await page.locator('li.msg').count(), before);
    await page.locator('#clear').click();
    await page.locator('#confirm-ok').click();
    await page.locator('#history-empty', { hasText: 'Nothing yet' }).waitFor(WAIT);
    assert.equal(await page.locator('li.msg').count(), 0);
    assert.deepEqual((await relay.api('GET', '/ui/api/history')).data, []);
    noProblems(win.problems);
  });

  test('load more: pages through a long history', async () => {
    const { page } = win;
    const ids = [];
    for (let i = 1; i <= 55; i += 1) ids.push(await send(`Message number ${i}`));
    await rowWithStatus(page, ids[54], 'injected').waitFor(WAIT);
    // Everything is typed before reloading, so the first page is exactly 50 rows.
    await page.waitForFunction(async () => {
      const res = await fetch('/ui/api/history?status=injected&limit=1000', {
        headers: { Authorization: `Bearer ${sessionStorage.getItem('saytype.token')}` },
      });
      return (await res.json()).length === 55;
    }, null, WAIT);
    await page.reload();
    await page.locator('li.msg').nth(49).waitFor(WAIT);
    assert.equal(await page.locator('li.msg').count(), 50);
    await page.locator('#more').click();
    await row(page, ids[0]).waitFor(WAIT);
    assert.equal(await page.locator('li.msg').count(), 55);
    assert.equal(await page.locator('#more').isHidden(), true);
    await page.locator('#clear').click();
    await page.locator('#confirm-ok').click();
    await page.locator('#history-empty').waitFor(WAIT);
    noProblems(win.problems);
  });

  test('the relay restarts: "Reconnecting…", then live again and caught up', async () => {
    const { page } = win;
    await relay.stop();
    await page.locator('#live[data-state="offline"]').waitFor(WAIT);
    await relay.start(); // same port, same data
    // Possibly sent before the window is back: it catches up when it reconnects.
    const id = await send('Sent right after the restart.');
    await rowWithStatus(page, id, 'injected').waitFor(WAIT);
    await page.locator('#live[data-state="live"]').waitFor(WAIT);
    await page.locator('#agent', { hasText: 'Online' }).waitFor(WAIT);
    noProblems(win.problems);
  });

  test('paired phones: one pairs from the window\'s link and appears live; rename; revoke it alone', async () => {
    const { page } = win;
    const pairPhone = async () => {
      const link = await page.locator('#pair-link').inputValue();
      // The link names this computer's LAN address; the test relay listens on loopback.
      const phone = await openPage(browser, PHONE);
      await phone.page.goto(`${relay.url}/${new URL(link).hash}`);
      await phone.page.locator('#conn[data-state="online"]').waitFor(WAIT);
      // The code is used up: the window shows a new one by itself.
      await page.waitForFunction((old) => document.getElementById('pair-link').value !== old, link, WAIT);
      return phone;
    };
    const first = await pairPhone();
    await page.locator('#paired-phones li.phone').first().waitFor(WAIT);
    assert.match(await page.locator('#paired-summary').innerText(), /1 phone paired/i);
    assert.equal(await page.locator('#paired-phones .phone-name').inputValue(), 'Android phone');
    assert.match(await page.locator('#paired-phones .phone-times').innerText(), /paired just now · (last seen just now|not used yet)/);
    const second = await pairPhone();
    await page.locator('#paired-summary', { hasText: /2 phones paired/i }).waitFor(WAIT);
    // With phones paired, the status comes first again.
    const top = async (id) => (await page.locator(id).boundingBox()).y;
    assert.ok(await top('#status-card') < await top('#pairing-card'), 'status above pairing');

    const name = page.locator('#paired-phones .phone-name').first();
    await name.fill("Ana's Pixel");
    await name.press('Enter');
    await page.locator('#toast', { hasText: "Renamed to Ana's Pixel" }).waitFor(WAIT);
    assert.equal((await relay.api('GET', '/ui/api/phones')).data[0].name, "Ana's Pixel");
    await page.screenshot({ path: path.join(ARTIFACTS, 'desktop-window-light-phones.png') });

    await page.locator('#paired-phones li.phone button').first().click();
    await page.locator('#confirm[open]').waitFor(WAIT);
    assert.match(await page.locator('#confirm').innerText(), /Revoke Ana's Pixel\?[\s\S]*other phones keep working/);
    await page.locator('#confirm-ok').click();
    await page.locator('#paired-summary', { hasText: /1 phone paired/i }).waitFor(WAIT);

    // The revoked phone is told; the other one still sends.
    await first.page.locator('#text').fill('From the revoked phone.');
    await first.page.locator('#send').click();
    await first.page.locator('#not-paired').waitFor({ state: 'visible', ...WAIT });
    await second.page.locator('#text').fill('From the phone that stays.');
    await second.page.locator('#send').click();
    await second.page.locator('li.item[data-status="injected"]').waitFor(WAIT);
    await first.context.close();
    await second.context.close();
    noProblems(win.problems);
  });

  test('paired phones: "last seen" follows a phone live, and ages without a reload', async () => {
    const opened = await openPage(browser, WINDOW);
    const { page } = opened;
    // The window's clock runs as usual, and can jump ahead.
    await page.clock.install();
    await page.goto(`${relay.url}/ui#token=${relay.token}`);
    await page.locator('#live[data-state="live"]').waitFor(WAIT);
    const phone = await pairNodePhone(await relay.pairLink());
    const line = page.locator(`#paired-phones li.phone[data-id="${phone.id}"] .phone-times`);
    await line.waitFor(WAIT);
    assert.match(await line.innerText(), /not used yet/);

    // The phone calls: the window says so at once (no reload, no other event).
    assert.equal((await phone.call('GET', '/devices')).status, 200);
    await page.locator(`#paired-phones li.phone[data-id="${phone.id}"] .phone-times`, { hasText: 'last seen just now' }).waitFor(WAIT);

    // Minutes later, without anything happening: it ages by itself.
    await page.clock.fastForward('05:00');
    await page.locator(`#paired-phones li.phone[data-id="${phone.id}"] .phone-times`, { hasText: 'last seen 5 min ago' }).waitFor(WAIT);
    assert.equal((await relay.api('DELETE', `/ui/api/phones/${phone.id}`)).status, 200);
    noProblems(opened.problems);
    await opened.context.close();
  });

  test('rotating the desktop token: asks first, keeps working, phones keep theirs; the old token is refused', async () => {
    const { page } = win;
    await page.locator('#rotate').click();
    await page.locator('#confirm[open]').waitFor(WAIT);
    assert.match(await page.locator('#confirm').innerText(), /Paired phones keep working/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'desktop-window-light-confirm.png') });
    await page.locator('#confirm-ok').click();
    await page.waitForFunction((old) => sessionStorage.getItem('saytype.token') !== old, TOKEN, WAIT);

    const newToken = await page.evaluate(() => sessionStorage.getItem('saytype.token'));
    assert.notEqual(newToken, TOKEN);
    assert.match(await page.locator('#pair-link').inputValue(), /#pair=/);
    assert.equal((await relay.api('GET', '/ui/api/phones')).status, 401, 'the old token');
    assert.equal((await relay.apiWith(TOKEN, 'GET', '/ui/api/status')).status, 401);
    assert.equal((await relay.apiWith(newToken, 'GET', '/ui/api/status')).status, 200);
    relay.token = newToken;

    // The window still works: live history, pause, and no "token changed" banner.
    const id = await send('After the new token.');
    await rowWithStatus(page, id, 'injected').waitFor(WAIT);
    await page.locator('#pause').click();
    await page.locator('#agent', { hasText: 'Paused' }).waitFor(WAIT);
    await page.locator('#pause').click();
    await page.locator('#agent', { hasText: 'Online' }).waitFor(WAIT);
    assert.equal(await page.locator('#banner').isHidden(), true);
    await page.locator('#live[data-state="live"]').waitFor(WAIT);
    noProblems(win.problems);

    // A window still holding the old token says what to do.
    const stale = await openWindow(WINDOW, TOKEN);
    await stale.page.locator('#banner').waitFor({ state: 'visible', ...WAIT });
    assert.match(await stale.page.locator('#banner').innerText(), /Reopen the window from the tray menu/);
    assert.equal(await stale.page.locator('#live').getAttribute('data-state'), 'expired');
    await stale.page.screenshot({ path: path.join(ARTIFACTS, 'desktop-window-light-expired.png') });
    // The tray opens the same window again with the current token (a fragment-only
    // navigation, no page load by itself): it starts afresh.
    await stale.page.evaluate((t) => {
      location.hash = `token=${t}`;
    }, newToken);
    await stale.page.locator('#live[data-state="live"]').waitFor(WAIT);
    await stale.page.locator('#agent', { hasText: 'Online' }).waitFor(WAIT);
    assert.equal(await stale.page.locator('#banner').isHidden(), true);
    assert.equal(stale.page.url(), `${relay.url}/ui`);
    noProblems(stale.problems);
    await stale.context.close();

    // Opened without any token (typed into a browser): says where to open it from.
    const bare = await openPage(browser, WINDOW);
    await bare.page.goto(`${relay.url}/ui`);
    await bare.page.locator('#banner').waitFor({ state: 'visible', ...WAIT });
    assert.match(await bare.page.locator('#banner').innerText(), /Open this window from the tray menu/);
    noProblems(bare.problems);
    await bare.context.close();
    await win.context.close();
  });

  test('diagnostics: the checks of saytype doctor, each failed one with its fix', async () => {
    const diag = await openWindow();
    const { page } = diag;
    await page.locator('#diag-run').click();
    await page.locator('#diag-list li.check[data-id="firewall"]').waitFor(WAIT);
    // Started without a display: typing cannot work, and the card says what to do.
    const route = page.locator('#diag-list li.check[data-id="route"]');
    assert.equal(await route.getAttribute('class'), 'check bad');
    assert.match(await route.innerText(), /Typing[\s\S]*no display[\s\S]*Fix: /);
    const relayCheck = await page.locator('#diag-list li.check[data-id="relay"]').innerText();
    assert.match(relayCheck, /SayType service/);
    assert.match(await page.locator('#diag-summary').innerText(), /problems? found/);
    assert.equal(await page.locator('#diag-run').isDisabled(), false);
    noProblems(diag.problems);
    await diag.context.close();
  });

  test('screenshots: phone-sized and desktop-sized, light and dark', async () => {
    // A history with every state: typed, failed (mode "type", no display), queued (paused).
    await send('Meeting notes: the launch moves to Thursday.\nAsk Sam about the slides.');
    await send('Buy oat milk, coffee beans and a birthday card for Ana.');
    await send(`${'A long dictation that goes on and on, as dictations sometimes do. '.repeat(12)}The end.`);
    await relay.api('PUT', '/ui/api/settings', { injectMode: 'type', newline: 'shift-return', port: 8123, startAtLogin: false });
    const failing = await send('Reply to Jordan: sounds good, see you at ten.');
    // Injection happens after the ACK: let it fail before the mode changes back.
    for (let i = 0; i < 200 && (await record(failing))?.status !== 'failed'; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    await relay.api('PUT', '/ui/api/settings', { injectMode: 'none', newline: 'shift-return', port: 8123, startAtLogin: false });
    await relay.api('POST', '/ui/api/pause', { paused: true });
    await agentState('paused');
    await send('Dictated while typing is paused: it waits at the relay.');

    const shots = [
      ['phone', PHONE],
      ['window', WINDOW],
      ['wide', DESKTOP],
    ];
    for (const colorScheme of ['light', 'dark']) {
      for (const [size, options] of shots) {
        if (size === 'window' && colorScheme === 'dark') continue;
        const { page, context, problems } = await openWindow({ ...options, colorScheme });
        await page.locator('li.msg[data-status="queued"]').first().waitFor(WAIT);
        await page.locator('li.msg[data-status="failed"]').first().waitFor(WAIT);
        await page.locator('#agent', { hasText: 'Paused' }).waitFor(WAIT);
        await page.locator('#qr').waitFor(WAIT);
        const width = options.viewport.width;
        const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(scroll <= width, `no sideways scrolling at ${width} px (${scroll} px)`);
        await page.screenshot({ path: path.join(ARTIFACTS, `desktop-window-${colorScheme}-${size}.png`), fullPage: size !== 'window' });
        noProblems(problems);
        await context.close();
      }
    }
    await relay.api('POST', '/ui/api/pause', { paused: false });
  });
});
