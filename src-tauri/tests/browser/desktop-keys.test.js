// The desktop window's history for keyboard and screen-reader users (issue 13), in a
// real Chromium against the real relay binary: every row's buttons are named after
// their message, the list is one Tab stop (arrow keys between rows), so the
// keyboard reaches pairing and settings without going through every button.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WINDOW, openPage, screenshot, startSuite, stopSuite } from './lib/browser.js';
import { DesktopRelay } from './lib/desktop-relay.js';

const WAIT = { timeout: 15000 };

let relay;
let browser;
before(async () => ({ relay, browser } = await startSuite(DesktopRelay)));
after(() => stopSuite({ relay, browser }));

/** Where the keyboard focus is: the element's id, or its row and action. */
const focused = (page) => page.evaluate(() => {
  const a = document.activeElement;
  const li = a.closest('li.msg');
  const card = a.closest('section.card');
  return { id: a.id, row: li ? li.dataset.id : null, action: a.dataset.action || null, card: card ? card.id : null, isRow: a.matches('li.msg') };
});

describe('desktop window, keyboard and screen readers', () => {
  test('row buttons name their message; the history is one Tab stop', async () => {
    const ids = [];
    for (let i = 1; i <= 10; i += 1) {
      const { data } = await relay.api('POST', '/transcription', { text: `Message number ${i} for the keyboard test` });
      ids.push(data.id);
    }
    const { page, context, problems } = await openPage(browser, WINDOW);
    await page.goto(`${relay.url}/ui#token=${relay.token}`);
    await page.waitForFunction((n) => document.querySelectorAll('li.msg[data-status="injected"]').length === n, ids.length, WAIT);

    // Names: one per message and action, never "Copy the text" ten times.
    const labels = await page.locator('li.msg button[data-action]').evaluateAll((bs) => bs.map((b) => b.getAttribute('aria-label')));
    assert.equal(labels.length, 20);
    assert.equal(new Set(labels).size, 20, 'every button has a name of its own');
    assert.ok(labels.includes('Copy “Message number 3 for the keyboard test”'), labels.join('\n'));
    assert.ok(labels.includes('Delete “Message number 10 for the keyboard test”'));

    // From the last filter chip, Tab reaches the pairing card in a few steps.
    await page.locator('#filter [data-filter="failed"]').focus();
    const path = [];
    for (let i = 0; i < 30; i += 1) {
      await page.keyboard.press('Tab');
      const at = await focused(page);
      path.push(at);
      if (at.card === 'pairing-card') break;
    }
    assert.equal(path.at(-1).card, 'pairing-card', `reached: ${JSON.stringify(path.at(-1))}`);
    assert.ok(path.length <= 5, `${path.length} Tab presses: ${JSON.stringify(path)}`);
    // The first of them landed on the newest row; its buttons follow, no other row's.
    assert.equal(path[0].isRow, true);
    assert.equal(path[0].row, ids.at(-1));
    assert.deepEqual(path.slice(1, 3).map((p) => [p.row, p.action]), [[ids.at(-1), 'copy'], [ids.at(-1), 'delete']]);

    // Arrows move between rows; the Tab stop moves with them.
    await page.locator(`li.msg[data-id="${ids.at(-1)}"]`).focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    assert.equal((await focused(page)).row, ids.at(-3));
    assert.equal((await focused(page)).isRow, true);
    await page.keyboard.press('Tab');
    assert.deepEqual(await focused(page).then((f) => [f.row, f.action]), [ids.at(-3), 'copy']);
    await page.keyboard.press('End');
    assert.equal((await focused(page)).row, ids[0]);
    await page.keyboard.press('Home');
    assert.equal((await focused(page)).row, ids.at(-1));
    await screenshot(page, 'desktop-window-keyboard');
    assert.deepEqual(problems, []);
    await context.close();
  });
});
