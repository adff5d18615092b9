// Pairing this phone: from the QR code link `/#pair=<one-time code>` (the code is
// taken out of the address bar at once, and turned into this phone's own key,
// which is kept in localStorage), from a pasted link or code, and unpairing.

import { clearFragment, fragmentCode, fragmentToken, readPairingInput } from '../lib/token.js';
import { KEYS, save, state } from './state.js';
import { el, render, showCompose } from './view.js';
import { flush, probeSoon, refreshDevices, retry, schedulePoll } from './relay.js';
import { desktopName, pairWithCode, sealedCall } from './link.js';

const PAIR_TIMEOUT_MS = 15000;

/** Take `#pair=…` out of the address (so it is not visible or shared) and pair with it. */
export async function takeCodeFromAddress() {
  const code = fragmentCode(location.hash);
  // A link of an older SayType carried the desktop token, which no longer works
  // from a phone: treat it as a link that does not pair.
  const oldLink = fragmentToken(location.hash) !== null;
  if (code === null && !oldLink) return;
  clearFragment(history.state);
  if (code && code.trim()) await pair(code.trim());
  else await failed('code');
}

async function failed(problem) {
  state.pairProblem = problem;
  render();
  if (!state.desktop) {
    state.desktop = await desktopName(PAIR_TIMEOUT_MS);
    render();
  }
}

async function pair(code) {
  state.connection = 'checking';
  render();
  const { pairing, problem } = await pairWithCode(code, PAIR_TIMEOUT_MS);
  if (!pairing) return failed(problem);
  setPairing(pairing);
}

function setPairing(pairing) {
  state.pairing = pairing;
  state.desktop = pairing.desktop || null;
  save(KEYS.pairing, pairing);
  state.unauthorized = false;
  state.pairProblem = null;
  state.connection = 'checking';
  retry.reset();
  render();
  showCompose();
  refreshDevices();
  flush();
  schedulePoll(0);
  probeSoon();
}

/** "Unpair this phone": the desktop forgets it too (when it can be reached), then this phone. */
export async function forgetPairing() {
  if (state.pairing && !state.unauthorized) await sealedCall(state.pairing, 'DELETE', '/phone', undefined, PAIR_TIMEOUT_MS);
  state.pairing = null;
  save(KEYS.pairing, null);
  state.unauthorized = false;
  state.pairProblem = null;
  state.devices = null;
  render();
}

/** "Got the link another way? Paste it here": accepts the whole link, or the code. */
export function pairFromInput() {
  el.pairError.textContent = '';
  const input = readPairingInput(el.pairLink.value, location.href);
  if (input?.go) {
    // A link to another address (another desktop, or this one by another name):
    // go there, the code belongs to that origin.
    location.href = input.go;
    return;
  }
  if (!input) {
    // A fresh text each time, so that a second wrong paste is announced again.
    setTimeout(() => {
      el.pairError.textContent = 'That does not look like a SayType pairing link. It looks like http://…/#pair=…';
    }, 50);
    return;
  }
  el.pairLink.value = '';
  pair(input.code);
}
