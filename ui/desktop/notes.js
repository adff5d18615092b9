// What the window tells the user besides its cards: the live indicator, the banner,
// toasts, the confirm box, and copying with a note.

import { $, h } from '../lib/dom.js';
import { ApiError } from '../lib/api.js';

/** The live connection indicator in the top bar. */
export function setLive(state, text) {
  $('live').dataset.state = state;
  $('live-text').textContent = text;
}

/** The banner under the top bar (the window cannot work: what to do). */
export function showBanner(title, text) {
  $('banner-title').textContent = title;
  $('banner-text').textContent = text;
  $('banner').hidden = false;
}

let toastTimer = 0;
/** A short note at the bottom of the window (also read out by screen readers). */
export function toast(message, kind = 'info') {
  const box = $('toast');
  box.textContent = message;
  box.dataset.kind = kind;
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    box.hidden = true;
  }, kind === 'error' ? 7000 : 3500);
}

export function showError(err) {
  if (err instanceof ApiError && err.status === 401) return; // the banner says it
  toast(err.message || String(err), 'error');
}

/** Our own confirm box (a <dialog>), so it looks like the rest and works in every webview. */
export function confirmBox({ title, text, ok, danger = false }) {
  const dialog = $('confirm');
  if (typeof dialog.showModal !== 'function') {
    return Promise.resolve(window.confirm(`${title}\n\n${text}`));
  }
  $('confirm-title').textContent = title;
  $('confirm-text').textContent = text;
  const okButton = $('confirm-ok');
  const cancelButton = $('confirm-cancel');
  okButton.textContent = ok;
  okButton.classList.toggle('danger-solid', danger);
  okButton.classList.toggle('primary', !danger);
  return new Promise((resolve) => {
    const done = (answer) => {
      okButton.removeEventListener('click', onOk);
      cancelButton.removeEventListener('click', onCancel);
      dialog.removeEventListener('cancel', onCancel);
      if (dialog.open) dialog.close();
      resolve(answer);
    };
    const onOk = () => done(true);
    const onCancel = (event) => {
      event.preventDefault();
      done(false);
    };
    okButton.addEventListener('click', onOk);
    cancelButton.addEventListener('click', onCancel);
    dialog.addEventListener('cancel', onCancel); // Escape
    dialog.showModal();
    // The safe choice has the focus: Enter does not destroy anything by accident.
    cancelButton.focus();
  });
}

/** Copy text: the Clipboard API, else the old execCommand way; false if neither works. */
async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Not allowed or not available (some webviews): fall back below.
  }
  const area = h('textarea', { className: 'offscreen', readOnly: true });
  area.value = text;
  document.body.append(area);
  area.select();
  let ok = false;
  try {
    ok = document.execCommand('copy');
  } catch {
    ok = false;
  }
  area.remove();
  return ok;
}

/** Copy, then say so ("Text copied.") or say how to copy by hand. */
export async function copyWithFeedback(text, what) {
  if (await copyText(text)) toast(`${what} copied.`);
  else toast('Could not copy here: select the text and press Ctrl+C.', 'error');
}
