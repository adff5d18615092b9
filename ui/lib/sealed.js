// The sealed link's scheme (docs/sealed-link.md) on the phone's side, over the
// audited @noble primitives (./vendor/noble.js; a plain-HTTP page has no
// crypto.subtle). Pure functions over bytes, no DOM and no fetch: node's unit tests
// check them against the vectors the Rust side checks too
// (docs/sealed-link-vectors.json).

import { equalBytes, hkdf, hmac, randomBytes, sha256, x25519, xchacha20poly1305 } from './vendor/noble.js';

const enc = new TextEncoder();
const utf8 = (text) => enc.encode(text);

/** A proof or a box did not verify (altered, or made with another key). */
export class SealError extends Error {}

/** Bytes as unpadded base64url. */
export function b64(bytes) {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Unpadded base64url to bytes, or null. */
export function unb64(text) {
  if (typeof text !== 'string' || !/^[A-Za-z0-9_-]*$/.test(text)) return null;
  try {
    const bin = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
    return Uint8Array.from(bin, (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** From the one-time code: its public id, the key that proves it, the key's salt. */
export function codeKeys(code) {
  const ikm = utf8(code);
  const salt = utf8('saytype-pair-v1');
  return {
    id: hkdf(sha256, ikm, salt, utf8('code-id'), 16),
    mac: hkdf(sha256, ikm, salt, utf8('mac'), 32),
    salt: hkdf(sha256, ikm, salt, utf8('salt'), 32),
  };
}

/** A fresh X25519 secret for one pairing. */
export const newSecret = () => randomBytes(32);

/** The phone's half of the exchange. */
export function phoneHello(keys, secret) {
  const phonePub = x25519.getPublicKey(secret);
  const proof = hmac(sha256, keys.mac, concat(utf8('saytype-pair-v1 phone'), keys.id, phonePub));
  return { codeId: keys.id, phonePub, proof };
}

function transcript(keys, phonePub, relayPub, phoneId) {
  return sha256(concat(utf8('saytype-pair-v1'), keys.id, phonePub, relayPub, utf8(phoneId)));
}

/**
 * Check the relay's proof (it knows the code) and confirmation (it derived the
 * same key); the phone's key. Throws SealError.
 */
export function phoneFinish(keys, secret, { relayPub, proof, confirm }, phoneId) {
  const phonePub = x25519.getPublicKey(secret);
  const th = transcript(keys, phonePub, relayPub, phoneId);
  if (!equalBytes(hmac(sha256, keys.mac, concat(utf8('saytype-pair-v1 relay'), th)), proof)) {
    throw new SealError('the desktop did not prove the pairing code');
  }
  let shared;
  try {
    shared = x25519.getSharedSecret(secret, relayPub);
  } catch {
    throw new SealError('unusable public key');
  }
  const key = hkdf(sha256, shared, keys.salt, concat(utf8('saytype-phone-key-v1'), th), 32);
  if (!equalBytes(hmac(sha256, key, concat(utf8('saytype-pair-v1 confirm'), th)), confirm)) {
    throw new SealError('the desktop derived another key');
  }
  return key;
}

/** One key per direction. */
export function directionKeys(key) {
  return {
    request: hkdf(sha256, key, undefined, utf8('saytype-sealed-v1 request'), 32),
    response: hkdf(sha256, key, undefined, utf8('saytype-sealed-v1 response'), 32),
  };
}

export const requestAad = (phoneId, counter) => utf8(`saytype-sealed-v1\nPOST /phone/v1/sealed\n${phoneId}\n${counter}`);
export const responseAad = (phoneId, counter) => utf8(`saytype-sealed-v1 response\n${phoneId}\n${counter}`);

export const newNonce = () => randomBytes(24);

export function sealRequest(key, phoneId, counter, nonce, plain) {
  return xchacha20poly1305(key, nonce, requestAad(phoneId, counter)).encrypt(plain);
}

/** The relay's answer to the request with `counter`; throws SealError. */
export function openResponse(key, phoneId, counter, nonce, box) {
  try {
    return xchacha20poly1305(key, nonce, responseAad(phoneId, counter)).decrypt(box);
  } catch {
    throw new SealError('the answer does not verify');
  }
}

/** For the tests (they read what the page sent): the relay's side of a request. */
export function openRequest(key, phoneId, counter, nonce, box) {
  try {
    return xchacha20poly1305(key, nonce, requestAad(phoneId, counter)).decrypt(box);
  } catch {
    throw new SealError('the request does not verify');
  }
}

/** For the tests: the relay's side of an answer. */
export function sealResponse(key, phoneId, counter, nonce, plain) {
  return xchacha20poly1305(key, nonce, responseAad(phoneId, counter)).encrypt(plain);
}

/** The next request counter: above the last one, and at least the clock in µs
 * (plus `micros`, 0-999, chosen at random by the caller), so that a phone whose
 * storage was cleared or raced by another tab still moves on. */
export function nextCounter(last, nowMs, micros = 0) {
  return Math.max((Number.isSafeInteger(last) ? last : 0) + 1, nowMs * 1000 + micros);
}
