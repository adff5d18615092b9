// The paired phones in words. Pure (no DOM): unit-tested.

import { ago } from '../lib/time.js';

/** "paired 2 h ago · last seen just now" (or "never used yet"). */
export function phoneLine({ pairedAt, lastSeen }, now = Date.now()) {
  const seen = lastSeen ? `last seen ${ago(lastSeen, now)}` : 'not used yet';
  return `paired ${ago(pairedAt, now)} · ${seen}`;
}

/** The heading's count, or the empty list's sentence. */
export function phonesSummary(phones) {
  if (!phones.length) return 'No phone is paired yet: scan the code above with one.';
  return phones.length === 1 ? '1 phone paired' : `${phones.length} phones paired`;
}

/** When the pairing code in the QR code is due for a new one, in ms from now (at least 1 s). */
export function refreshIn(expiresAt, now = Date.now()) {
  return Math.max(1000, (expiresAt || now) - now - 5000);
}
