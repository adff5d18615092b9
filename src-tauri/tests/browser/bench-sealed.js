// The phone's cost of the sealed link, in node (a phone's browser runs the same
// @noble code; expect a few times slower on a mid-range phone): one pairing (the
// phone's half: key pair, proof, shared secret, key, checks) and one sealed send of
// the longest text (10,000 characters) with its answer opened.
//   node src-tauri/tests/browser/bench-sealed.js

import { randomBytes } from 'node:crypto';
import {
  codeKeys, directionKeys, newNonce, newSecret, openResponse, phoneFinish, phoneHello, sealRequest, sealResponse,
} from '../../../ui/lib/sealed.js';
import { hmac, sha256, x25519, hkdf } from '../../../ui/lib/vendor/noble.js';

const utf8 = (t) => new TextEncoder().encode(t);

function time(name, n, fn) {
  for (let i = 0; i < Math.min(20, n); i++) fn(); // warm up
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  const us = Number(process.hrtime.bigint() - start) / 1000 / n;
  console.log(`${name}: ${us < 1000 ? `${us.toFixed(0)} µs` : `${(us / 1000).toFixed(2)} ms`}`);
}

// A relay's answer to pair with, made with the same primitives (the relay's side).
const code = randomBytes(16).toString('base64url');
const keys = codeKeys(code);
const relaySecret = newSecret();
const relayPub = x25519.getPublicKey(relaySecret);
const phoneId = 'Ph7xKq2mVb9sLw0e';
function answerFor(hello) {
  const th = sha256(new Uint8Array([...utf8('saytype-pair-v1'), ...keys.id, ...hello.phonePub, ...relayPub, ...utf8(phoneId)]));
  const shared = x25519.getSharedSecret(relaySecret, hello.phonePub);
  const key = hkdf(sha256, shared, keys.salt, new Uint8Array([...utf8('saytype-phone-key-v1'), ...th]), 32);
  return {
    relayPub,
    proof: hmac(sha256, keys.mac, new Uint8Array([...utf8('saytype-pair-v1 relay'), ...th])),
    confirm: hmac(sha256, key, new Uint8Array([...utf8('saytype-pair-v1 confirm'), ...th])),
  };
}

const secret = newSecret();
const hello = phoneHello(keys, secret);
const answer = answerFor(hello);
time('pairing, the phone\'s half (2 X25519 + HKDF + HMACs)', 200, () => {
  phoneHello(keys, secret);
  phoneFinish(keys, secret, answer, phoneId);
});

const dir = directionKeys(phoneFinish(keys, secret, answer, phoneId));
const longest = utf8(JSON.stringify({ method: 'POST', path: '/transcription', body: { text: 'x'.repeat(10000), id: 'm-1' } }));
const reply = utf8(JSON.stringify({ status: 200, body: { id: 'm-1', status: 'delivered', deviceId: 'desk' } }));
const replyNonce = newNonce();
const replyBox = sealResponse(dir.response, phoneId, 7, replyNonce, reply);
time('sealed send of 10,000 characters + its answer opened', 2000, () => {
  sealRequest(dir.request, phoneId, 7, newNonce(), longest);
  openResponse(dir.response, phoneId, 7, replyNonce, replyBox);
});
const short = utf8(JSON.stringify({ method: 'GET', path: '/transcription/m-1' }));
time('sealed status poll + its answer opened', 5000, () => {
  sealRequest(dir.request, phoneId, 8, newNonce(), short);
  openResponse(dir.response, phoneId, 7, replyNonce, replyBox);
});
