// A desktop whose address changed (a new DHCP lease). The relay tells a paired
// phone, sealed, the addresses it can be reached at (GET /addresses); the page keeps
// them. While this page's own address does not answer, it offers them: a tap opens
// the page at that address in a new tab, and this page hands its pairing and its
// unsent messages over with postMessage, to that exact origin only (never in a URL,
// never on the wire). A page's storage belongs to its address, so the new tab is
// where the phone goes on (and what to add to the home screen again); a home-screen
// icon of an address that is gone cannot load at all (plain HTTP has no offline page).

import { $, fill, h } from '../lib/dom.js';
import { sealedCall } from './link.js';
import { sanitize } from './outbox.js';
import { KEYS, load, pending, save, saveMessages, state, validPairing } from './state.js';

const ADDRESSES_TIMEOUT_MS = 15000;
const MOVING = '#moving';

/** Keep only other `http://HOST:PORT` origins. */
export function otherOrigins(list, here) {
  if (!Array.isArray(list)) return [];
  return list.filter((a) => {
    try {
      const url = new URL(a);
      return url.protocol === 'http:' && url.origin === a && a !== here;
    } catch {
      return false;
    }
  }).slice(0, 8);
}

let learned = false;

/** Once per page load, when the relay answers: where else it can be reached. */
export async function learnAddresses() {
  if (learned || !state.pairing) return;
  learned = true;
  const res = await sealedCall(state.pairing, 'GET', '/addresses', undefined, ADDRESSES_TIMEOUT_MS);
  if (res.status === 200) save(KEYS.addresses, otherOrigins(res.data?.addresses, location.origin));
  else learned = false;
}

/** Offer the other addresses while this one does not answer. */
export function renderMoved() {
  const others = otherOrigins(load(KEYS.addresses, []), location.origin);
  const shown = Boolean(state.pairing) && !state.unauthorized && state.connection === 'offline' && others.length > 0;
  $('moved').hidden = !shown;
  if (!shown) return;
  const signature = others.join(' ');
  if ($('moved-list').dataset.signature === signature) return;
  $('moved-list').dataset.signature = signature;
  fill($('moved-list'), ...others.map((origin) => {
    const button = h('button', { className: 'btn', type: 'button', dataset: { origin } }, `Open at ${new URL(origin).host}`);
    button.addEventListener('click', () => moveTo(origin));
    return button;
  }));
}

function moveTo(origin) {
  const tab = window.open(`${origin}/${MOVING}`, '_blank');
  if (!tab) return;
  const onMessage = (event) => {
    if (event.origin !== origin || event.source !== tab) return;
    if (event.data?.type === 'saytype-ready') {
      tab.postMessage({
        type: 'saytype-move',
        pairing: state.pairing,
        messages: pending(),
        addresses: [location.origin, ...otherOrigins(load(KEYS.addresses, []), origin)],
      }, origin);
    } else if (event.data?.type === 'saytype-moved') {
      window.removeEventListener('message', onMessage);
    }
  };
  window.addEventListener('message', onMessage);
}

/**
 * The page opened by moveTo(): ask the opener for the pairing and take it (when
 * this address has none), with the unsent messages. True while a move is under way.
 */
export function receiveMove(onMoved) {
  if (location.hash !== MOVING || !window.opener) return false;
  history.replaceState(history.state, '', location.pathname + location.search);
  const port = location.port;
  const onMessage = (event) => {
    let from;
    try {
      from = new URL(event.origin);
    } catch {
      return;
    }
    // Only this page on the same desktop (same port, another address) moves here.
    if (event.source !== window.opener || from.protocol !== 'http:' || from.port !== port) return;
    if (event.data?.type !== 'saytype-move') return;
    window.removeEventListener('message', onMessage);
    const pairing = validPairing(event.data.pairing);
    if (pairing && !state.pairing) {
      save(KEYS.pairing, pairing);
      state.pairing = pairing;
    }
    if (pairing && state.pairing?.phoneId === pairing.phoneId && Array.isArray(event.data.messages)) {
      const known = new Set(state.messages.map((m) => m.id));
      state.messages = sanitize([...state.messages, ...event.data.messages.filter((m) => m && typeof m.id === 'string' && !known.has(m.id))]);
      saveMessages();
    }
    save(KEYS.addresses, otherOrigins(event.data.addresses, location.origin));
    event.source.postMessage({ type: 'saytype-moved' }, event.origin);
    onMoved();
  };
  window.addEventListener('message', onMessage);
  window.opener.postMessage({ type: 'saytype-ready' }, '*');
  return true;
}
