// The "Pair a phone" card: the QR code and link, the addresses hint, and making a
// new pairing token.

import { $ } from '../lib/dom.js';
import { coalesce } from '../lib/coalesce.js';
import { api, session, storeToken } from './session.js';
import { confirmBox, showError, toast } from './notes.js';
import { restartEvents } from './events.js';
import { addressNote, qrImage } from './pairing-view.js';

function renderPairing(p) {
  const img = $('qr');
  const missing = $('qr-missing');
  // Shown as an image: any markup in the SVG stays inert.
  const src = qrImage(p.qrSvg);
  if (src) {
    img.src = src;
    img.hidden = false;
    missing.hidden = true;
  } else {
    img.hidden = true;
    missing.hidden = false;
    missing.textContent = 'No QR code: use the link below.';
  }
  $('pair-link').value = p.link;
  $('pairing-card').dataset.loaded = 'true';
  const lan = $('lan');
  const note = addressNote(p);
  lan.hidden = !note;
  if (note) lan.textContent = note;
}

export const refreshPairing = coalesce(async () => {
  renderPairing(await api('GET', '/ui/api/pairing'));
});

export async function rotateToken() {
  const ok = await confirmBox({
    title: 'Make a new pairing token?',
    text: 'The current token stops working at once: every paired phone must scan the new QR code, and desktops connected with the old token (saytype agent) need the new one. This desktop follows by itself.',
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
    toast('New token made. Pair your phones again with the new code.');
    // Follow with the live events as well (the old stream may be closed any time).
    restartEvents();
  } catch (err) {
    showError(err);
  } finally {
    session.rotation = null;
    rotate.disabled = false;
  }
}
