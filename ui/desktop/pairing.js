// The "Pair a phone" card: the QR code and link with a one-time pairing code
// (renewed before it expires), the addresses hint, and making a new desktop token.

import { $ } from '../lib/dom.js';
import { coalesce } from '../lib/coalesce.js';
import { api, session, storeToken } from './session.js';
import { confirmBox, showError, toast } from './notes.js';
import { restartEvents } from './events.js';
import { addressNote, qrImage } from './pairing-view.js';
import { refreshIn } from './phones-view.js';

function renderPairing(p) {
  const img = $('qr');
  const missing = $('qr-missing');
  // Shown as an image: any markup in the SVG stays inert.
  const src = p.unreachable ? null : qrImage(p.qrSvg);
  $('pair-link').closest('.copy-row').hidden = Boolean(p.unreachable);
  if (src) {
    img.src = src;
    img.hidden = false;
    missing.hidden = true;
  } else {
    img.hidden = true;
    missing.hidden = false;
    missing.textContent = p.unreachable || 'No QR code: use the link below.';
  }
  $('pair-link').value = p.link;
  $('pairing-card').dataset.loaded = 'true';
  const lan = $('lan');
  const note = addressNote(p);
  lan.hidden = !note;
  if (note) lan.textContent = note;
  // The code works for a few minutes: show a fresh one before it stops working.
  clearTimeout(renewTimer);
  if (p.unreachable) return;
  renewTimer = setTimeout(() => refreshPairing().catch(() => {}), refreshIn(p.expiresAt));
}

let renewTimer = 0;

export const refreshPairing = coalesce(async () => {
  renderPairing(await api('GET', '/ui/api/pairing'));
});

export async function rotateToken() {
  const ok = await confirmBox({
    title: 'Make a new desktop token?',
    text: 'The current token stops working at once: scripts and desktops connected with it (saytype send, saytype agent) need the new one. Paired phones keep working with their own keys. This desktop follows by itself.',
    ok: 'Make a new token',
    danger: true,
  });
  if (!ok) return;
  const rotate = $('rotate');
  rotate.disabled = true;
  session.rotation = api('POST', '/ui/api/token/rotate');
  try {
    const result = await session.rotation;
    storeToken(result.token);
    renderPairing(result.pairing);
    toast('New desktop token made. Paired phones keep working.');
    // Follow with the live events as well (the old stream may be closed any time).
    restartEvents();
  } catch (err) {
    showError(err);
  } finally {
    session.rotation = null;
    rotate.disabled = false;
  }
}
