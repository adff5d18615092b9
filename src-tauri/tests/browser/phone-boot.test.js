// The phone page on a network that drops while the page loads. A module script whose
// graph misses one file never runs: Chromium aborts requests in flight when the
// phone's network changes (net::ERR_NETWORK_CHANGED, seen here when a namespace got
// an address), and the page stayed at "Starting…" for good, pairing link unused.
// The page now loads again by itself (a few times, with growing waits), and then
// says what happened, with a button. Real relay, real Chromium; the lost file is
// aborted by the browser's own request routing.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PHONE, openPage, screenshot, startSuite, stopSuite } from './lib/browser.js';
import { Relay } from './lib/relay.js';
import { WAIT, noProblems } from './lib/phone.js';

let relay;
let browser;
before(async () => ({ relay, browser } = await startSuite(Relay)));
after(() => stopSuite({ relay, browser }));

/** Abort the first `times` loads of a shared module, as a network change does. */
async function dropModule(context, times) {
  let dropped = 0;
  await context.route('**/lib/token.js', (route) => {
    if (dropped < times) {
      dropped += 1;
      return route.abort('internetdisconnected');
    }
    return route.continue();
  });
  return () => dropped;
}

describe('phone page, a network that drops while it loads', () => {
  test('a module lost on the way: the page loads again and pairs with its link', async () => {
    const { page, context, problems } = await openPage(browser, PHONE);
    const dropped = await dropModule(context, 1);
    await page.goto(await relay.pairLink());
    await page.locator('#conn[data-state="online"]').waitFor(WAIT);
    assert.equal(dropped(), 1);
    assert.ok(await page.evaluate(() => JSON.parse(localStorage.getItem('saytype.pairing'))?.phoneId), 'paired');
    noProblems(problems);
    await context.close();
  });

  test('lost every time: after a few tries it says so, and Reload tries again', async () => {
    const { page, context } = await openPage(browser, PHONE);
    const dropped = await dropModule(context, 4);
    await page.goto(`${relay.url}/`);
    const status = page.locator('#conn[data-state="offline"]', { hasText: 'Did not load completely' });
    await status.waitFor(WAIT);
    assert.equal(dropped(), 4, 'the first load and three more');
    await screenshot(page, 'phone-did-not-load');
    // The fourth reload is the user's: the network is back.
    await page.locator('#conn button', { hasText: 'Reload' }).click();
    // An unpaired phone: the pairing screen, the failure gone.
    await page.locator('#pair').waitFor({ state: 'visible', ...WAIT });
    assert.equal(await page.locator('#conn[data-boot]').count(), 0);
    assert.equal(dropped(), 4);
    await context.close();
  });
});
