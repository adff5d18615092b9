// A paired phone whose desktop got a new address (issue 11: "a new DHCP lease does
// not break a paired phone"): the relay in one network namespace with two addresses,
// a real Chromium phone in another. The phone pairs at the first address and learns
// the second (sealed, GET /addresses); the relay comes back on the second only; the
// page, offline, offers it, and the new tab takes the pairing and the unsent message
// along (postMessage to that origin only) and sends it there.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { PHONE, openPage, screenshot } from './lib/browser.js';
import { netnsForTest, startNetnsSuite, stopNetnsSuite } from './lib/netns.js';
import { item, stored } from './lib/phone.js';

const TOKEN = randomBytes(24).toString('base64url');
const WAIT = { timeout: 20000 };

const { netns, skip } = netnsForTest();

let suite;
let relay;
let browser;
let second;

before(async () => {
  if (skip) return;
  // A second address on each side (another subnet).
  const subnet = netns.relayIp.split('.')[2];
  second = `10.202.${subnet}.1`;
  netns.ip('-n', netns.a, 'addr', 'add', `${second}/24`, 'dev', netns.vethA);
  netns.ip('-n', netns.b, 'addr', 'add', `10.202.${subnet}.2/24`, 'dev', netns.vethB);
  suite = await startNetnsSuite(netns, { prefix: 'saytype-moved-', token: TOKEN });
  ({ relay, browser } = suite);
});

after(async () => {
  if (!skip) await stopNetnsSuite(netns, suite);
});


describe('a desktop with a new address', { skip }, () => {
  test('the phone offers the address the relay announced, and moves there with its pairing and unsent message', async () => {
    const { page, context, problems } = await openPage(browser, PHONE);
    await page.goto(await relay.pairLink());
    await page.locator('#conn[data-state="online"]').waitFor(WAIT);
    const moved = `http://${second}:${relay.port}`;
    await page.waitForFunction((origin) => (JSON.parse(localStorage.getItem('saytype.addresses')) || []).includes(origin), moved, WAIT);
    const { phoneId } = await stored(page, 'saytype.pairing');

    // The desktop's machine got a new address: the relay is back on it only.
    await relay.stop();
    relay.bind = second;
    await relay.start();
    const text = 'Dictated while the desktop moved.';
    await page.locator('#text').fill(text);
    await page.locator('#send').click();
    await page.locator('#moved').waitFor({ state: 'visible', ...WAIT });
    const button = page.locator(`#moved button[data-origin="${moved}"]`);
    assert.match(await button.innerText(), new RegExp(`Open at ${second}:${relay.port}`));
    await screenshot(page, 'phone-moved-offer');

    const [tab] = await Promise.all([context.waitForEvent('page'), button.click()]);
    // Accepted there (what the phone needs is the relay's answer; its agent may or
    // may not have typed it yet).
    await item(tab, text).and(tab.locator('[data-status="queued"], [data-status="delivered"], [data-status="injected"]')).waitFor(WAIT);
    assert.equal(new URL(tab.url()).origin, moved);
    assert.equal(new URL(tab.url()).hash, '', 'nothing in the address');
    assert.equal((await stored(tab, 'saytype.pairing')).phoneId, phoneId, 'the same pairing');
    await tab.locator('#conn[data-state="online"]').waitFor(WAIT);
    assert.equal(await item(tab, text).count(), 1);
    await screenshot(tab, 'phone-moved-there');
    assert.deepEqual(problems, [], 'no script errors or CSP violations');
    await context.close();
  });
});
