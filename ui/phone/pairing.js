// Pairing this phone: from the QR code link `/#token=…` (the token is kept in
// localStorage and taken out of the address bar at once, so it is not shown or
// shared by accident), from a pasted link or token, and unpairing.

import { clearFragment, fragmentToken, readPairingInput } from '../lib/token.js';
import { KEYS, save, state } from './state.js';
import { el, render, showCompose } from './view.js';
import { flush, refreshDevices, retry, schedulePoll } from './relay.js';

/** Take `#token=…` out of the address (so it is not visible or shared) and keep it. */
export function takeTokenFromAddress() {
  const fresh = fragmentToken(location.hash);
  if (fresh === null) return;
  clearFragment(history.state);
  if (fresh.trim()) setToken(fresh.trim());
}

function setToken(fresh) {
  state.token = fresh;
  save(KEYS.token, fresh);
  state.unauthorized = false;
  state.connection = 'checking';
  retry.reset();
  render();
  showCompose();
  refreshDevices();
  flush();
  schedulePoll(0);
}

export function forgetToken() {
  state.token = null;
  save(KEYS.token, null);
  state.unauthorized = false;
  state.devices = null;
  render();
}

/** "Got the link another way? Paste it here": accepts the whole link, or the token. */
export function pairFromInput() {
  el.pairError.hidden = true;
  const input = readPairingInput(el.pairLink.value, location.href);
  if (input?.go) {
    // A link to another address (another desktop, or this one by another name):
    // go there, the token belongs to that origin.
    location.href = input.go;
    return;
  }
  if (!input) {
    el.pairError.textContent = 'That does not look like a SayType pairing link. It looks like http://…/#token=…';
    el.pairError.hidden = false;
    return;
  }
  el.pairLink.value = '';
  setToken(input.token);
}
