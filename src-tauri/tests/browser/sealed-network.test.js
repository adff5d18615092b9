// The sealed phone link on a real network (issue 11): the relay in one network
// namespace, real Chromium phones in another, tcpdump on the link between them for
// the whole session. Two phones pair from QR links, send and follow their messages;
// one is revoked and told so, the other keeps sending. The capture holds neither a
// dictated text, nor a pairing code, nor a key, nor the desktop token; every
// captured request sent again is refused, and so is every one altered.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { PHONE, openPage, screenshot } from './lib/browser.js';
import { netnsForTest, startNetnsSuite, stopNetnsSuite } from './lib/netns.js';
import { item, stored } from './lib/phone.js';
import { allPayload, httpRequests } from './lib/pcap.js';

const TOKEN = randomBytes(24).toString('base64url');
const WAIT = { timeout: 20000 };

const { netns, skip } = netnsForTest();

let suite;
let relay;
let browser;
let capture;
let pcapFile;

before(async () => {
  if (skip) return;
  suite = await startNetnsSuite(netns, {
    prefix: 'saytype-sealed-net-',
    token: TOKEN,
    // The capture runs from before the first packet.
    beforeStart: async (dir, r) => {
      pcapFile = path.join(dir, 'session.pcap');
      capture = netns.capture(pcapFile, r.port);
      await capture.ready;
    },
  });
  ({ relay, browser } = suite);
});

after(async () => {
  await capture?.stop();
  if (!skip) await stopNetnsSuite(netns, suite);
});

const waitStatus = (page, text, status) => item(page, text).and(page.locator(`[data-status="${status}"]`)).waitFor(WAIT);

async function send(page, text) {
  await page.locator('#text').fill(text);
  await page.locator('#send').click();
}

describe('the sealed link between two network namespaces', { skip }, () => {
  test('pair two phones, send, follow, revoke one; the capture shows nothing and replays nothing', { timeout: 180000 }, async () => {
    const texts = {
      first: `rm -rf ~ # a secret dictation ${randomBytes(6).toString('hex')}`,
      second: `Second phone: the door code is ${randomBytes(4).toString('hex')}`,
      revoked: `Written after revocation ${randomBytes(4).toString('hex')}`,
      after: `Still sending after the other was revoked ${randomBytes(4).toString('hex')}`,
    };
    const links = [await relay.pairLink(), await relay.pairLink()];
    const codes = links.map((l) => new URL(l).hash.slice('#pair='.length));
    assert.ok(links[0].startsWith(`http://${netns.relayIp}:`));

    const one = await openPage(browser, PHONE);
    await one.page.goto(links[0]);
    await one.page.locator('#conn[data-state="online"]').waitFor(WAIT);
    await send(one.page, texts.first);
    await waitStatus(one.page, texts.first, 'injected');
    await screenshot(one.page, 'netns-phone-one-sent');

    const two = await openPage(browser, { ...PHONE, userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 Safari/604.1' });
    await two.page.goto(links[1]);
    await two.page.locator('#conn[data-state="online"]').waitFor(WAIT);
    await send(two.page, texts.second);
    await waitStatus(two.page, texts.second, 'injected');

    // The window lists both; revoke the first.
    const listed = (await relay.api('GET', '/ui/api/phones')).data;
    assert.deepEqual(listed.map((p) => p.name).sort(), ['Android phone', 'iPhone']);
    const pairings = [await stored(one.page, 'saytype.pairing'), await stored(two.page, 'saytype.pairing')];
    assert.equal((await relay.api('DELETE', `/ui/api/phones/${pairings[0].phoneId}`)).status, 200);

    await send(one.page, texts.revoked);
    await one.page.locator('#not-paired').waitFor({ state: 'visible', ...WAIT });
    assert.match(await one.page.locator('#not-paired').innerText(), /This phone is not paired with desk \(any more\)/);
    await waitStatus(one.page, texts.revoked, 'pending');
    await screenshot(one.page, 'netns-phone-one-revoked');
    await send(two.page, texts.after);
    await waitStatus(two.page, texts.after, 'injected');
    // Its history, read back sealed: the page follows each message to "typed".
    await two.page.reload();
    await waitStatus(two.page, texts.second, 'injected');
    await screenshot(two.page, 'netns-phone-two-still-sending');

    await capture.stop();
    capture = null;
    const pcap = await readFile(pcapFile);
    const wire = allPayload(pcap);
    assert.ok(wire.includes('POST /phone/v1/pair'), 'the capture saw the pairing');
    assert.ok(wire.includes('POST /phone/v1/sealed'), 'the capture saw the sealed calls');
    const secrets = { ...texts, code0: codes[0], code1: codes[1], token: TOKEN };
    for (const [i, p] of pairings.entries()) {
      secrets[`key${i}`] = p.key;
      secrets[`keyBytes${i}`] = Buffer.from(p.key, 'base64url');
      secrets[`keyHex${i}`] = Buffer.from(p.key, 'base64url').toString('hex');
    }
    for (const [name, secret] of Object.entries(secrets)) {
      assert.ok(!wire.includes(secret), `the capture contains ${name}`);
    }
    // Fragments of the texts too (words a listener could pick out).
    for (const word of ['secret dictation', 'door code', 'revocation']) assert.ok(!wire.includes(word), word);

    // Every captured request, sent again from the phones' network: refused.
    const requests = httpRequests(pcap, relay.port).filter((r) => r.method === 'POST');
    const sealed = requests.filter((r) => r.path === '/phone/v1/sealed');
    const pairs = requests.filter((r) => r.path === '/phone/v1/pair');
    assert.equal(pairs.length, 2);
    assert.ok(sealed.length >= 6, `${sealed.length} sealed requests captured`);
    const before = (await relay.api('GET', '/ui/api/history')).data.length;
    for (const r of pairs) {
      const again = relay.postFromPhoneSide(r.path, r.body);
      assert.deepEqual([again.status, again.data?.error?.code], [401, 'PAIRING_CODE_UNKNOWN']);
    }
    for (const r of sealed) {
      const envelope = JSON.parse(r.body);
      const revoked = envelope.phone === pairings[0].phoneId;
      const again = relay.postFromPhoneSide(r.path, r.body);
      assert.deepEqual([again.status, again.data?.error?.code], revoked ? [401, 'NOT_PAIRED'] : [409, 'REPLAYED'], `replay of counter ${envelope.ctr}`);
      if (revoked) continue;
      // Altered: one character of the box, or a fresh counter on the old box.
      const { box } = envelope;
      const flipped = { ...envelope, box: `${box.slice(0, 5)}${box[5] === 'A' ? 'B' : 'A'}${box.slice(6)}` };
      const altered = relay.postFromPhoneSide(r.path, Buffer.from(JSON.stringify(flipped)));
      assert.deepEqual([altered.status, altered.data?.error?.code], [400, 'SEAL_INVALID']);
      const moved = relay.postFromPhoneSide(r.path, Buffer.from(JSON.stringify({ ...envelope, ctr: Date.now() * 1000 + 999 })));
      assert.deepEqual([moved.status, moved.data?.error?.code], [400, 'SEAL_INVALID']);
    }
    // Nothing was stored or typed twice.
    const history = (await relay.api('GET', '/ui/api/history')).data;
    assert.equal(history.length, before);
    assert.deepEqual(history.map((m) => m.text).sort(), [texts.after, texts.first, texts.second].sort());
    assert.ok(history.every((m) => m.status === 'injected'));
    console.log(`capture: ${pcap.length} bytes, ${requests.length} requests (${pairs.length} pair, ${sealed.length} sealed), all refused when replayed`);
    await one.context.close();
    await two.context.close();
  });
});
