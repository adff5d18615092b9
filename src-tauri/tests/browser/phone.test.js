// The phone page (ui/phone/) in a real Chromium, against the real relay binary:
// pairing from the QR link, sending, following a message until it is typed, the
// outbox across a relay restart (nothing lost, nothing doubled), a revoked phone
// and a link that does not pair, no pairing at all, dark mode, small and desktop
// screens. Every call is sealed (docs/sealed-link.md): the tests open what crossed
// the network with the key the page keeps, as the relay does. Screenshots go to
// artifacts/browser/.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { DESKTOP, PHONE, openPage, screenshot, sentPosts, startSuite, stopSuite } from './lib/browser.js';
import { WAIT, item, noProblems, sendText, stored } from './lib/phone.js';
import { Relay, startAgent } from './lib/relay.js';

const TOKEN = process.env.SAYTYPE_TOKEN || randomBytes(24).toString('base64url');

let relay;
let browser;
before(async () => ({ relay, browser } = await startSuite(Relay, TOKEN)));
after(() => stopSuite({ relay, browser }));

async function waitStatus(page, text, status) {
  await item(page, text).and(page.locator(`[data-status="${status}"]`)).waitFor(WAIT);
}

async function idOf(page, text) {
  return item(page, text).getAttribute('data-id');
}


describe('phone page', () => {
  // The paired phone of the first tests, kept across them like a real one.
  let phone;

  test('pairs from the QR link, sends, shows delivered then typed', async () => {
    phone = await openPage(browser, PHONE);
    const { page } = phone;
    await page.goto(await relay.pairLink());

    // The code left the address bar at once; the phone keeps its own key, never
    // the desktop token.
    assert.equal(page.url(), `${relay.url}/`);
    assert.equal(await page.evaluate(() => location.hash), '');
    await page.locator('#conn[data-state="online"]').waitFor(WAIT);
    const pairing = await stored(page, 'saytype.pairing');
    assert.match(pairing.phoneId, /^[A-Za-z0-9_-]{16}$/);
    assert.match(pairing.key, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(pairing.desktop, 'desk');
    assert.ok(!JSON.stringify(await page.evaluate(() => ({ ...localStorage }))).includes(TOKEN));
    assert.equal(await page.locator('#pair').isHidden(), true);

    assert.match(await page.locator('#device').innerText(), /desk · online/);
    // The box is ready for dictation.
    const box = page.locator('#text');
    assert.equal(await box.getAttribute('autocapitalize'), 'sentences');
    assert.equal(await page.locator('#send').isDisabled(), true, 'nothing to send yet');

    const text = 'Hello from the phone, typed on the desktop.';
    await sendText(page, text);
    await waitStatus(page, text, 'injected');
    // The relay runs with --inject none: recorded, and the page says so (issue 13).
    assert.equal(await item(page, text).locator('.badge').innerText(), 'Recorded');
    assert.match(await page.locator('#announce').innerText(), /Recorded on desk \(record-only mode: nothing was typed\)/);
    assert.equal(await box.inputValue(), '', 'the box is emptied for the next message');

    // The user saw "delivered" (the relay's answer) before "injected" (the poll).
    const id = await idOf(page, text);
    const seen = (await page.evaluate(() => window.__statusLog)).filter((e) => e.id === id).map((e) => e.status);
    assert.ok(seen.indexOf('delivered') >= 0 && seen.indexOf('delivered') < seen.indexOf('injected'), `statuses seen: ${seen}`);

    // The page chose the id, and the relay has the message under it.
    const posts = await sentPosts(phone);
    assert.equal(posts.length, 1);
    assert.equal(posts[0].body.id, id);
    assert.equal(posts[0].body.text, text);
    assert.equal(posts[0].body.deviceId, undefined, 'the default desktop is the relay\'s default');
    assert.deepEqual(posts[0].response, { status: 200, data: { id, status: 'delivered', deviceId: 'desk' } });
    // On the wire: neither the text nor the id.
    assert.ok(phone.sealed.every((e) => !JSON.stringify(e).includes(text) && !JSON.stringify(e).includes(id)));
    const record = await relay.api('GET', `/transcription/${id}`);
    assert.equal(record.status, 200);
    assert.equal(record.data.status, 'injected');
    assert.equal(record.data.deviceId, 'desk');

    await screenshot(page, 'phone-light-sent');

    // Tapping a sent message puts its text back in the box.
    await item(page, text).locator('button[data-action="reuse"]').tap();
    assert.equal(await box.inputValue(), text);
    await box.fill('');
    noProblems(phone.problems);
  });

  test('relay down: the message waits in the outbox and goes out by itself, once', async () => {
    const { page } = phone;
    await relay.stop();

    const text = 'Sent while the desktop was away.';
    await sendText(page, text);
    await waitStatus(page, text, 'pending');
    assert.match(await item(page, text).locator('.badge').innerText(), /Waiting to send/);
    assert.match(await item(page, text).locator('.item-note').innerText(), /sent automatically/);
    await page.locator('#conn[data-state="offline"]').waitFor(WAIT);
    assert.match(await page.locator('#conn').innerText(), /1 waiting/);
    const id = await idOf(page, text);
    const outbox = (await stored(page, 'saytype.messages')).filter((m) => m.status === 'pending');
    assert.deepEqual(outbox.map((m) => [m.id, m.text]), [[id, text]], 'kept in localStorage');
    await screenshot(page, 'phone-light-outbox');

    // Let it retry against the stopped relay at least once more.
    const deadline = Date.now() + 10000;
    while ((await sentPosts(phone)).filter((p) => p.body.text === text).length < 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }

    await relay.start(); // same port, same data directory
    await waitStatus(page, text, 'injected');

    const attempts = (await sentPosts(phone)).filter((p) => p.body.text === text);
    assert.ok(attempts.length >= 2, `retried: ${attempts.length} attempts`);
    assert.ok(attempts.every((p) => p.body.id === id), 'every attempt carried the same id');
    const answered = attempts.filter((p) => p.response);
    assert.equal(answered.length, 1, `exactly one attempt reached the relay: ${JSON.stringify(answered.map((p) => p.response))}`);
    assert.equal(answered[0].response.status, 200);
    assert.equal(answered[0].response.data.id, id);
    assert.equal(await item(page, text).count(), 1, 'shown once in the history');
    const record = await relay.api('GET', `/transcription/${id}`);
    assert.equal(record.data.status, 'injected');
    // Sending the same id again is answered with the same message, not a second one.
    const again = await relay.api('POST', '/transcription', { text, id });
    assert.deepEqual(again.data, { id, status: 'injected', deviceId: 'desk' });
    await page.locator('#conn[data-state="online"]').waitFor(WAIT);
    noProblems(phone.problems);
  });

  test('a message left in the outbox goes out when the page is opened again', async () => {
    const { page, context } = phone;
    await relay.stop();
    const text = 'Dictated, then the phone was locked.';
    await sendText(page, text);
    await waitStatus(page, text, 'pending');
    const id = await idOf(page, text);
    await page.close();

    await relay.start();
    const reopened = await context.newPage();
    await reopened.goto(`${relay.url}/`); // from the home screen: no token in the link
    await waitStatus(reopened, text, 'injected');
    assert.equal(await idOf(reopened, text), id);
    assert.equal(await item(reopened, text).count(), 1);
    assert.equal((await relay.api('GET', `/transcription/${id}`)).data.status, 'injected');
    assert.equal(await reopened.locator('li.item').count(), 3, 'the whole history is still there');
    phone.page = reopened;
    noProblems(phone.problems);
    await context.close();
  });

  test('another desktop, offline: queued, then typed once it connects (status polling)', async () => {
    // "laptop" registers once (so the relay knows it), then goes away.
    await (await startAgent(relay, 'laptop')).stop();
    const laptopPhone = await openPage(browser, PHONE);
    const { page, context, problems } = laptopPhone;
    await page.goto(await relay.pairLink());
    const picker = page.locator('#device');
    await picker.locator('option[value="laptop"]').waitFor({ state: 'attached', ...WAIT });
    assert.deepEqual(await picker.locator('option').allInnerTexts(), ['desk · online', 'laptop · offline']);
    await picker.selectOption('laptop');

    const text = 'For the laptop, which is asleep.';
    await sendText(page, text);
    await waitStatus(page, text, 'queued');
    assert.match(await item(page, text).locator('.item-note').innerText(), /as soon as it is online/);
    assert.match(await item(page, text).locator('.item-device').innerText(), /to laptop/);
    const id = await idOf(page, text);
    const posts = await sentPosts(laptopPhone);
    assert.equal(posts[0].body.deviceId, 'laptop');
    assert.deepEqual(posts[0].response.data, { id, status: 'queued', deviceId: 'laptop' });
    await page.locator('option[value="laptop"]', { hasText: '1 waiting' }).waitFor({ state: 'attached', ...WAIT });
    await screenshot(page, 'phone-light-queued');

    const laptop = await startAgent(relay, 'laptop');
    await waitStatus(page, text, 'injected');
    assert.equal((await relay.api('GET', `/transcription/${id}`)).data.deviceId, 'laptop');
    // The choice is remembered for the next message.
    assert.equal(await stored(page, 'saytype.device'), 'laptop');
    await page.reload();
    assert.equal(await page.locator('#device').inputValue(), 'laptop');
    await laptop.stop();

    // A desktop that cannot type (no display): the message ends "failed", with the reason.
    const kiosk = await startAgent(relay, 'kiosk', { inject: 'type', env: { DISPLAY: null, WAYLAND_DISPLAY: null } });
    await page.reload(); // (or wait for the page's next look at the devices)
    await page.locator('#device option[value="kiosk"]').waitFor({ state: 'attached', ...WAIT });
    await page.locator('#device').selectOption('kiosk');
    const doomed = 'Nowhere to type this.';
    await sendText(page, doomed);
    await waitStatus(page, doomed, 'failed');
    assert.equal(await item(page, doomed).locator('.badge').innerText(), 'Failed');
    assert.match(await item(page, doomed).locator('.item-note').innerText(), /kiosk could not type it: .*display/i);
    await screenshot(page, 'phone-light-failed');
    await kiosk.stop();
    noProblems(problems);
    await context.close();
  });

  test('two tabs of one phone send at once, one overtaking the other: both typed, none refused as replayed', async () => {
    const { page, context, problems, sealed } = await openPage(browser, PHONE);
    await page.goto(await relay.pairLink());
    await page.locator('#conn[data-state="online"]').waitFor(WAIT);
    const other = await context.newPage(); // same origin: the same key and counter
    await other.goto(`${relay.url}/`);
    await other.locator('#conn[data-state="online"]').waitFor(WAIT);

    // The first tab's send is held on the way until the second tab's, taken later
    // (a higher counter, milliseconds later), has been answered.
    let held;
    const heldOne = new Promise((resolve) => { held = resolve; });
    let overtaken;
    const overtakenDone = new Promise((resolve) => { overtaken = resolve; });
    await page.route('**/phone/v1/sealed', async (route) => {
      held(route.request().postDataJSON().ctr);
      await overtakenDone;
      await route.continue();
    });
    const first = 'Sent from the first tab.';
    const second = 'Sent from the second tab, which overtook it.';
    await sendText(page, first);
    const heldCtr = await heldOne;
    await sendText(other, second);
    const deadline = Date.now() + WAIT.timeout;
    let overtook;
    while (!(overtook = (await sentPosts({ page, sealed })).find((p) => p.body.text === second && p.response))) {
      assert.ok(Date.now() < deadline, 'the second tab was answered while the first waited');
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(overtook.response.status, 200);
    const ctr = sealed.find((e) => e.response?.status === 200 && e.envelope.ctr > heldCtr).envelope.ctr;
    assert.ok(ctr - heldCtr > 64, `counters far apart: ${ctr - heldCtr}`);
    overtaken();
    await waitStatus(page, first, 'injected');
    await page.unroute('**/phone/v1/sealed');

    const refused = sealed.filter((e) => e.response && e.response.status !== 200).map((e) => e.response.data?.error?.code);
    assert.deepEqual(refused, [], 'no sealed call refused (REPLAYED)');
    // The tabs share the outbox, so both may send a message, under its one id: the
    // relay holds each once.
    const posts = await sentPosts({ page, sealed });
    for (const text of [first, second]) {
      const ids = new Set(posts.filter((p) => p.body.text === text).map((p) => p.body.id));
      assert.equal(ids.size, 1, `${text}: one id`);
      assert.equal((await relay.api('GET', `/transcription/${[...ids][0]}`)).data.status, 'injected');
    }
    noProblems(problems);
    await context.close();
  });

  test('a revoked phone: not paired with desk (any more), keeps the message, sends it once paired again', async () => {
    const { page, context, problems } = await openPage(browser, PHONE);
    await page.goto(await relay.pairLink());
    await page.locator('#conn[data-state="online"]').waitFor(WAIT);
    const { phoneId } = await stored(page, 'saytype.pairing');
    const revoked = await relay.api('DELETE', `/ui/api/phones/${phoneId}`);
    assert.equal(revoked.status, 200);

    const text = 'Written after the desktop revoked this phone.';
    await sendText(page, text);
    const notice = page.locator('#not-paired');
    await notice.waitFor({ state: 'visible', ...WAIT });
    assert.match(await notice.innerText(), /This phone is not paired with desk \(any more\)/);
    assert.match(await notice.innerText(), /removed this phone/);
    assert.match(await notice.innerText(), /saytype pair/);
    assert.match(await page.locator('#conn').innerText(), /Not paired any more/);
    await waitStatus(page, text, 'pending');
    assert.match(await item(page, text).locator('.item-note').innerText(), /paired again/);
    assert.equal(await page.locator('#pair').isVisible(), true, 'how to pair again');
    await screenshot(page, 'phone-light-revoked');

    // Scanning the QR code again (a new link, here while the page is open).
    await page.goto(await relay.pairLink());
    await waitStatus(page, text, 'injected');
    assert.equal(await notice.isHidden(), true);
    assert.notEqual((await stored(page, 'saytype.pairing')).phoneId, phoneId, 'a new key');
    assert.equal(page.url(), `${relay.url}/`);
    noProblems(problems);
    await context.close();
  });

  test('a link that does not pair (used, expired, another desktop\'s, an old token link): says so', async () => {
    const { page, context, problems } = await openPage(browser, PHONE);
    const link = await relay.pairLink();
    const first = await openPage(browser, PHONE);
    await first.page.goto(link);
    await first.page.locator('#conn[data-state="online"]').waitFor(WAIT);
    await first.context.close();
    for (const used of [link, `${relay.url}/#token=${TOKEN}`]) {
      await page.goto(used);
      const notice = page.locator('#not-paired');
      await notice.waitFor({ state: 'visible', ...WAIT });
      await page.locator('#not-paired-desktop', { hasText: 'desk' }).waitFor(WAIT);
      assert.match(await notice.innerText(), /This phone is not paired with desk \(any more\)/);
      assert.match(await notice.innerText(), /already used, has expired/);
      assert.equal(await page.locator('#compose').isHidden(), true);
      assert.equal(page.url(), `${relay.url}/`);
    }
    await screenshot(page, 'phone-light-link-used');
    noProblems(problems);
    await context.close();
  });

  test('a refusal (4xx) is final: shown with the reason, not sent again', async () => {
    const ghost = await openPage(browser, PHONE);
    const { page, context, problems } = ghost;
    await page.goto(await relay.pairLink());
    await page.locator('#conn[data-state="online"]').waitFor(WAIT);
    // An outbox entry for a desktop the relay has never seen (404 UNKNOWN_DEVICE).
    await page.evaluate(() => {
      const now = Date.now();
      localStorage.setItem('saytype.messages', JSON.stringify([{ id: 'ghost-message-1', text: 'For a desktop that never existed.',
        device: 'ghost', target: 'ghost', status: 'pending', error: null, note: null, createdAt: now, changedAt: now }]));
    });
    await page.reload();
    const text = 'For a desktop that never existed.';
    await waitStatus(page, text, 'rejected');
    assert.equal(await item(page, text).locator('.badge').innerText(), 'Not sent');
    assert.match(await item(page, text).locator('.item-note').innerText(), /ever registered/);
    await page.waitForTimeout(2500); // longer than the first retry delays
    const posts = await sentPosts(ghost);
    assert.equal(posts.filter((p) => p.body.id === 'ghost-message-1').length, 1, 'not retried');
    assert.equal(posts[0].response.status, 404);
    noProblems(problems);
    await context.close();
  });

  test('not paired: explains how to pair instead of failing', async () => {
    for (const colorScheme of ['light', 'dark']) {
      const { page, context, problems } = await openPage(browser, { ...PHONE, colorScheme });
      await page.goto(`${relay.url}/`);
      const pair = page.locator('#pair');
      await pair.waitFor({ state: 'visible' });
      assert.match(await pair.innerText(), /Pair this phone/);
      assert.match(await pair.innerText(), /QR code/);
      assert.match(await pair.innerText(), /saytype pair/);
      assert.equal(await page.locator('#compose').isHidden(), true);
      assert.equal(await page.locator('#sendbar').isHidden(), true);
      assert.match(await page.locator('#conn').innerText(), /Not paired/);
      await screenshot(page, `phone-${colorScheme}-unpaired`);

      // A phone paired by an older SayType kept the desktop token: it is removed,
      // and the page says to pair once more.
      await page.evaluate((t) => localStorage.setItem('saytype.token', JSON.stringify(t)), TOKEN);
      await page.reload();
      await page.locator('#not-paired').waitFor({ state: 'visible', ...WAIT });
      assert.match(await page.locator('#not-paired').innerText(), /key of its own/);
      assert.equal(await page.evaluate(() => localStorage.getItem('saytype.token')), null);

      // Pasting the link works too.
      await page.locator('#pair summary').tap();
      await page.locator('#pair-link').fill(await relay.pairLink());
      await page.locator('#pair-go').tap();
      await page.locator('#conn[data-state="online"]').waitFor(WAIT);
      assert.equal(await page.locator('#pair').isHidden(), true);
      noProblems(problems);
      await context.close();
    }
  });

  test('dark mode, the character counter, clearing the history', async () => {
    const { page, context, problems } = await openPage(browser, { ...PHONE, colorScheme: 'dark' });
    await page.goto(await relay.pairLink());
    await page.locator('#conn[data-state="online"]').waitFor(WAIT);
    assert.equal(await page.evaluate(() => getComputedStyle(document.body).backgroundColor), 'rgb(18, 18, 28)');

    const counter = page.locator('#counter');
    await page.locator('#text').fill('short');
    assert.equal(await counter.isHidden(), true, 'no counter far from the limit');
    // Emoji count as one character each, as the relay counts them.
    await page.locator('#text').fill('🎤'.repeat(9995));
    assert.match(await counter.innerText(), /9,995 \/ 10,000/);
    assert.equal(await page.locator('#send').isEnabled(), true);
    await page.locator('#text').fill('x'.repeat(10005));
    assert.equal(await counter.getAttribute('data-over'), 'true');
    assert.match(await counter.innerText(), /5 too many/);
    assert.equal(await page.locator('#send').isDisabled(), true);

    const texts = [
      'Meeting notes: the launch moves to Thursday.\nAsk Sam about the slides.',
      'Buy oat milk, coffee beans and a birthday card for Ana.',
      'Reply to Jordan: sounds good, see you at ten.',
    ];
    for (const text of texts) {
      await sendText(page, text);
      await waitStatus(page, text, 'injected');
    }
    await page.locator('#text').fill('Dictating the next one');
    await screenshot(page, 'phone-dark-sent');

    await page.locator('#clear').tap();
    assert.equal(await page.locator('li.item').count(), 3, 'one tap only arms the button');
    await page.locator('#clear').tap();
    assert.equal(await page.locator('li.item').count(), 0);
    assert.equal(await page.locator('#history').isHidden(), true);
    noProblems(problems);
    await context.close();
  });

  test('fits a 320 px wide phone; ids without crypto.randomUUID', async () => {
    const { page, context, problems } = await openPage(browser, { ...PHONE, viewport: { width: 320, height: 568 } });
    // A phone on http://192.168.x.y is not a secure context: no crypto.randomUUID.
    await context.addInitScript(() => {
      delete Crypto.prototype.randomUUID;
    });
    await page.goto(await relay.pairLink());
    await page.locator('#conn[data-state="online"]').waitFor(WAIT);
    const text = 'A small screen still gets everything.';
    await sendText(page, text);
    await waitStatus(page, text, 'injected');
    assert.equal(await page.evaluate(() => typeof crypto.randomUUID), 'undefined');
    assert.match(await idOf(page, text), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const layout = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      send: document.getElementById('send').getBoundingClientRect().toJSON(),
      text: document.getElementById('text').getBoundingClientRect().toJSON(),
    }));
    assert.ok(layout.scrollWidth <= 320, `no sideways scrolling (${layout.scrollWidth} px)`);
    assert.ok(layout.send.bottom <= 568 && layout.send.right <= 320, 'Send is on screen');
    assert.ok(layout.send.top > 568 / 2, 'Send is in the bottom half, under the thumb');
    assert.ok(layout.send.height >= 44, 'Send is big enough to hit');
    assert.ok(layout.text.height >= 140, 'the text box is big');
    await screenshot(page, 'phone-light-320');

    // "Unpair this phone" (two taps): the desktop forgets it too.
    const { phoneId } = await stored(page, 'saytype.pairing');
    await page.locator('#forget').tap();
    await page.locator('#forget').tap();
    await page.locator('#pair').waitFor({ state: 'visible', ...WAIT });
    assert.equal(await stored(page, 'saytype.pairing'), null);
    const listed = (await relay.api('GET', '/ui/api/phones')).data;
    assert.ok(!listed.some((p) => p.id === phoneId), 'the desktop no longer lists it');
    noProblems(problems);
    await context.close();
  });

  test('desktop-sized window: the same page works', async () => {
    const { page, context, problems } = await openPage(browser, DESKTOP);
    await page.goto(await relay.pairLink());
    await page.locator('#conn[data-state="online"]').waitFor(WAIT);
    const text = 'Typed on a laptop, for once.';
    await page.locator('#text').fill(text);
    await page.locator('#text').press('Control+Enter'); // the keyboard shortcut
    await waitStatus(page, text, 'injected');
    const app = await page.locator('.app').boundingBox();
    assert.ok(app.width <= 640, `a readable column (${app.width} px)`);
    assert.ok(Math.abs(app.x + app.width / 2 - 640) < 2, 'centred');
    const send = await page.locator('#send').boundingBox();
    assert.ok(send.y + send.height <= 800, 'Send is on screen');
    await screenshot(page, 'phone-desktop-size-light');
    noProblems(problems);
    await context.close();
  });
});
