// The phone's sealed link to its desktop (docs/sealed-link.md): pairing from the
// one-time code of the QR link, then every call of the sender API sealed with this
// phone's own key, so nothing readable or replayable crosses the Wi-Fi. The scheme
// itself is ../lib/sealed.js; this file adds the envelopes, the counter and fetch.

import { request } from '../lib/api.js';
import {
  b64, codeKeys, directionKeys, newNonce, newSecret, nextCounter, openResponse, phoneFinish,
  phoneHello, sealRequest, unb64,
} from '../lib/sealed.js';
import { KEYS, load, save } from './state.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const errorCode = (res) => res.data?.error?.code || null;
const randomMicros = () => crypto.getRandomValues(new Uint16Array(1))[0] % 1000;
let lastCounter = 0;

/**
 * Pair with the one-time `code`. @returns {Promise<{pairing?: object, problem?: string}>}
 * problem: 'offline' (no answer), 'code' (expired, used, or not this desktop's),
 * 'forged' (the answer did not prove the code: not our desktop).
 */
export async function pairWithCode(code, timeoutMs) {
  const keys = codeKeys(code);
  const secret = newSecret();
  const hello = phoneHello(keys, secret);
  const body = { v: 1, codeId: b64(hello.codeId), phonePub: b64(hello.phonePub), proof: b64(hello.proof) };
  const res = await request('POST', '/phone/v1/pair', { body, timeoutMs });
  if (res.status === 0) return { problem: 'offline' };
  if (res.status !== 200 || !res.data) return { problem: 'code' };
  const d = res.data;
  const answer = { relayPub: unb64(d.relayPub), proof: unb64(d.proof), confirm: unb64(d.confirm) };
  if (typeof d.phoneId !== 'string' || Object.values(answer).some((b) => !b)) return { problem: 'forged' };
  try {
    const key = phoneFinish(keys, secret, answer, d.phoneId);
    return { pairing: { phoneId: d.phoneId, key: b64(key), desktop: String(d.desktop || '') } };
  } catch {
    return { problem: 'forged' };
  }
}

/**
 * One sealed call, answered like lib/api.js's `request`: {status, ok, data}, where
 * status and data are those of the call inside. A phone the desktop does not know
 * (revoked) gets status 401; an answer that was refused as replayed or altered, or
 * that does not open, counts as no answer (status 0): the caller tries again later,
 * with the same message id, so nothing is lost or doubled.
 */
export async function sealedCall(pairing, method, path, body, timeoutMs) {
  // Calls go out at once, side by side: the relay's replay window counts requests,
  // not counter distance, so a call overtaken by later ones (of this tab or
  // another tab of this phone) is still accepted.
  const key = unb64(pairing.key);
  if (!key || key.length !== 32) return { status: 401, ok: false, data: null };
  const keys = directionKeys(key);
  // Saved before sending: a counter is never used twice, even across reloads (and
  // kept here too, for a page whose storage is disabled).
  // A random sub-millisecond part: two tabs taking a counter in the same
  // millisecond (before either saw the other's in storage) rarely take the same.
  const counter = nextCounter(Math.max(lastCounter, load(KEYS.counter, 0) || 0), Date.now(), randomMicros());
  lastCounter = counter;
  save(KEYS.counter, counter);
  const nonce = newNonce();
  const plain = enc.encode(JSON.stringify(body === undefined ? { method, path } : { method, path, body }));
  const envelope = {
    v: 1,
    phone: pairing.phoneId,
    ctr: counter,
    nonce: b64(nonce),
    box: b64(sealRequest(keys.request, pairing.phoneId, counter, nonce, plain)),
  };
  const res = await request('POST', '/phone/v1/sealed', { body: envelope, timeoutMs });
  if (res.status === 401 && errorCode(res) === 'NOT_PAIRED') return { status: 401, ok: false, data: res.data };
  if (res.status !== 200 || !res.data) return { status: 0, ok: false, data: null, refused: errorCode(res) };
  try {
    const opened = openResponse(keys.response, pairing.phoneId, counter, unb64(res.data.nonce) || new Uint8Array(), unb64(res.data.box) || new Uint8Array());
    const reply = JSON.parse(dec.decode(opened));
    return { status: reply.status, ok: reply.status >= 200 && reply.status < 300, data: reply.body };
  } catch {
    return { status: 0, ok: false, data: null, refused: 'SEAL_INVALID' };
  }
}

/** The desktop's name before pairing (for "not paired with …"), or null. */
export async function desktopName(timeoutMs) {
  const res = await request('GET', '/phone/v1/info', { timeoutMs });
  return res.status === 200 && typeof res.data?.desktop === 'string' ? res.data.desktop : null;
}
