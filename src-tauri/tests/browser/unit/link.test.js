// The phone's sealed client (ui/phone/link.js) against a relay played in node with
// the same scheme (ui/lib/sealed.js): what the page makes of each answer. fetch is
// replaced by the fake relay; no browser, no binary.

import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import {
  b64, codeKeys, directionKeys, newNonce, newSecret, openRequest, sealResponse, unb64,
} from '../../../../ui/lib/sealed.js';
import { hkdf, hmac, sha256, x25519 } from '../../../../ui/lib/vendor/noble.js';
import { pairWithCode, sealedCall } from '../../../../ui/phone/link.js';

const realFetch = globalThis.fetch;
// The page keeps its counter in localStorage; node has none (the page copes: see
// below), so give it one for the first test.
const stored = new Map();
globalThis.localStorage = {
  getItem: (k) => (stored.has(k) ? stored.get(k) : null),
  setItem: (k, v) => stored.set(k, String(v)),
  removeItem: (k) => stored.delete(k),
};
afterEach(() => {
  globalThis.fetch = realFetch;
});

const utf8 = (t) => new TextEncoder().encode(t);
const cat = (...parts) => new Uint8Array(parts.flatMap((p) => [...p]));
const json = (status, data) => new Response(JSON.stringify(data), { status, headers: { 'Content-Type': 'application/json' } });

/** The relay's side of a pairing with `code`, as src-tauri/src/sealed/pair.rs does it. */
function relayPairs(code, body, phoneId) {
  const keys = codeKeys(code);
  const phonePub = unb64(body.phonePub);
  const secret = newSecret();
  const relayPub = x25519.getPublicKey(secret);
  const th = sha256(cat(utf8('saytype-pair-v1'), keys.id, phonePub, relayPub, utf8(phoneId)));
  const key = hkdf(sha256, x25519.getSharedSecret(secret, phonePub), keys.salt, cat(utf8('saytype-phone-key-v1'), th), 32);
  return {
    key,
    answer: {
      v: 1, phoneId, relayPub: b64(relayPub), desktop: 'desk',
      proof: b64(hmac(sha256, keys.mac, cat(utf8('saytype-pair-v1 relay'), th))),
      confirm: b64(hmac(sha256, key, cat(utf8('saytype-pair-v1 confirm'), th))),
    },
  };
}

describe('the phone\'s sealed client', () => {
  test('pairs, and refuses an answer that does not prove the code', async () => {
    let key = null;
    globalThis.fetch = async (path, init) => {
      const made = relayPairs('the-real-code-123456', JSON.parse(init.body), 'Ph7xKq2mVb9sLw0e');
      key = made.key;
      return json(200, made.answer);
    };
    const { pairing } = await pairWithCode('the-real-code-123456');
    assert.equal(pairing.phoneId, 'Ph7xKq2mVb9sLw0e');
    assert.deepEqual(unb64(pairing.key), key);
    assert.equal(pairing.desktop, 'desk');
    // A relay that does not know the code (a rogue on the network).
    globalThis.fetch = async (path, init) => json(200, relayPairs('another-code-6543210', JSON.parse(init.body), 'x').answer);
    assert.deepEqual(await pairWithCode('the-real-code-123456'), { problem: 'forged' });
    globalThis.fetch = async () => json(401, { error: { code: 'PAIRING_CODE_UNKNOWN', message: '…' } });
    assert.deepEqual(await pairWithCode('the-real-code-123456'), { problem: 'code' });
    globalThis.fetch = async () => {
      throw new TypeError('network down');
    };
    assert.deepEqual(await pairWithCode('the-real-code-123456'), { problem: 'offline' });
  });

  test('a sealed call: the inner answer; revoked = 401; replayed, altered or unopenable = no answer', async () => {
    const key = newSecret();
    const pairing = { phoneId: 'Ph7xKq2mVb9sLw0e', key: b64(key), desktop: 'desk' };
    const dir = directionKeys(key);
    let seen = null;
    const answer = (status, body, tamper = false) => async (path, init) => {
      const env = JSON.parse(init.body);
      seen = JSON.parse(new TextDecoder().decode(openRequest(dir.request, env.phone, env.ctr, unb64(env.nonce), unb64(env.box))));
      const nonce = newNonce();
      const box = sealResponse(dir.response, env.phone, tamper ? env.ctr + 1 : env.ctr, nonce, utf8(JSON.stringify({ status, body })));
      return json(200, { v: 1, nonce: b64(nonce), box: b64(box) });
    };
    globalThis.fetch = answer(200, { id: 'm-1', status: 'delivered', deviceId: 'desk' });
    const ok = await sealedCall(pairing, 'POST', '/transcription', { text: 'hi', id: 'm-1' });
    assert.deepEqual(ok, { status: 200, ok: true, data: { id: 'm-1', status: 'delivered', deviceId: 'desk' } });
    assert.deepEqual(seen, { method: 'POST', path: '/transcription', body: { text: 'hi', id: 'm-1' } });
    globalThis.fetch = answer(404, { error: { code: 'UNKNOWN_DEVICE', message: 'no' } });
    assert.equal((await sealedCall(pairing, 'POST', '/transcription', { text: 'x', deviceId: 'ghost' })).status, 404);
    // An answer bound to another request (or altered) does not open: no answer.
    globalThis.fetch = answer(200, {}, true);
    assert.equal((await sealedCall(pairing, 'GET', '/devices')).status, 0);
    globalThis.fetch = async () => json(401, { error: { code: 'NOT_PAIRED', message: 'not paired with desk (any more)' } });
    assert.equal((await sealedCall(pairing, 'GET', '/devices')).status, 401);
    for (const code of ['REPLAYED', 'SEAL_INVALID']) {
      globalThis.fetch = async () => json(code === 'REPLAYED' ? 409 : 400, { error: { code, message: '…' } });
      const res = await sealedCall(pairing, 'GET', '/devices');
      assert.deepEqual([res.status, res.refused], [0, code], 'tried again later, same message id');
    }
    // Counters only go up, even within one millisecond, and with storage disabled.
    delete globalThis.localStorage;
    const counters = [];
    globalThis.fetch = async (path, init) => {
      counters.push(JSON.parse(init.body).ctr);
      return json(500, null);
    };
    for (let i = 0; i < 5; i++) await sealedCall(pairing, 'GET', '/devices');
    assert.ok(counters.every((c, i) => i === 0 || c > counters[i - 1]), String(counters));
  });
});
