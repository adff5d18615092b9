// SayType phone page: dictate with the phone keyboard's microphone, tap Send, and the
// desktop types it. Plain JavaScript modules, no framework, no external resources
// (the relay's Content-Security-Policy allows only this origin, and no inline code
// or styles). This file wires the page; the parts:
// - pairing.js: pairing from the QR code link's one-time code, a pasted link,
//   unpairing; link.js: the sealed link (every call encrypted with this phone's key);
// - outbox.js: a message is never lost and never typed twice (the decisions), and
//   relay.js sends, retries with the same id and follows each message's fate;
// - view.js draws it all from state.js.

import { KEYS, find, load, pending, reloadMessages, save, saveMessages, state, validPairing, whenChanged } from './state.js';
import { clearedText, newMessage, trimmed } from './outbox.js';
import { defaultDeviceId } from './relay-view.js';
import { appendText, cleanText, compositionGate } from './text.js';
import { canSend, el, render, renderDevices, say, showCompose, updateComposer } from './view.js';
import { cancelMessage, flush, probeSoon, refreshDevices, retry, schedulePoll, setConnection, wakeUp } from './relay.js';
import { forgetPairing, pairFromInput, takeCodeFromAddress } from './pairing.js';
import { receiveMove } from './roam.js';

// The keyboard's composition (dictation, a word being typed) owns the box until it
// ends: everything that writes the box goes through this gate.
const gate = compositionGate();

function send() {
  // The text is read, and the box emptied, once the composition has ended (the
  // words still being dictated belong to this message).
  gate.run(sendNow);
}

function sendNow() {
  const text = cleanText(el.text.value);
  if (!canSend(text)) return;
  state.messages.push(newMessage(text, el.device.value, defaultDeviceId(state.devices)));
  state.messages = trimmed(state.messages);
  saveMessages();
  el.text.value = '';
  save(KEYS.draft, null);
  updateComposer();
  // Keep the keyboard up for the next sentence.
  el.text.focus();
  retry.reset();
  flush();
  // The list shows it once the request has left (queued after it): a render of the
  // list takes milliseconds on a phone, and the tap-to-screen time waited for it.
  queueMicrotask(render);
}

// Two taps to clear or unpair, instead of a dialog: one-handed, and no accidents.
function confirmTap(button, question, action) {
  if (button.dataset.armed === 'true') {
    clearTimeout(Number(button.dataset.timer));
    button.dataset.armed = 'false';
    button.textContent = button.dataset.label;
    action();
    return;
  }
  button.dataset.label = button.textContent;
  button.dataset.armed = 'true';
  button.textContent = question;
  button.dataset.timer = String(
    setTimeout(() => {
      button.dataset.armed = 'false';
      button.textContent = button.dataset.label;
    }, 4000),
  );
}

function clearHistory() {
  const kept = pending();
  state.messages = kept;
  saveMessages();
  render();
  say(clearedText(kept.length));
}

// "Reuse" on a sent message puts its text back in the box, to fix and send again.
// Appended, never replacing: whatever is in the box already stays. Only the
// button does it: a tap on the row (scrolling, a stray touch while dictating)
// leaves the box alone.
function reuse(id) {
  gate.run(() => reuseNow(id));
}

function reuseNow(id) {
  const m = find(id);
  if (!m) return;
  el.text.value = appendText(el.text.value, m.text);
  saveDraftNow();
  updateComposer();
  el.text.focus();
  el.text.setSelectionRange(el.text.value.length, el.text.value.length);
  el.text.scrollIntoView({ block: 'nearest' });
}

let draftTimer = null;
function saveDraft() {
  clearTimeout(draftTimer);
  draftTimer = setTimeout(saveDraftNow, 250);
}

// Also when the page is hidden (app switch, screen locked, tab closed): a phone may
// end the page then without another event, and the last words must not be lost.
function saveDraftNow() {
  clearTimeout(draftTimer);
  draftTimer = null;
  save(KEYS.draft, el.text.value || null);
}

// Layout: iOS Safari does not shrink the page above the keyboard; follow the visual
// viewport so the send bar stays visible there too. (CSSOM changes are allowed by the
// CSP; style attributes in the markup are not.)
function fitViewport() {
  const vv = window.visualViewport;
  const height = vv ? vv.height : window.innerHeight;
  document.documentElement.style.setProperty('--app-height', `${Math.round(height)}px`);
}

function start() {
  // The modules all arrived (boot.js reloads a page whose modules did not).
  window.saytypeBooted?.();
  whenChanged(render);
  state.desktop = state.pairing?.desktop || null;
  // A phone paired by an older SayType kept the desktop token itself: it no longer
  // works from a phone, and it must not stay here. Say how to pair again.
  if (load(KEYS.oldToken, null) !== null) {
    save(KEYS.oldToken, null);
    if (!state.pairing) state.pairProblem = 'upgraded';
  }
  takeCodeFromAddress();

  el.text.value = load(KEYS.draft, '') || '';
  el.text.addEventListener('input', () => {
    updateComposer();
    saveDraft();
  });
  el.text.addEventListener('keydown', (event) => {
    // Enter stays a newline (dictation and multi-line notes); Ctrl/Cmd+Enter sends.
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      send();
    }
  });
  el.send.addEventListener('click', send);
  el.device.addEventListener('change', () => save(KEYS.device, el.device.value));
  // Gboard starts the next word's composition right after one ends: the end takes
  // effect after the composition's last input event, unless a new one began.
  let compositions = 0;
  const endSoon = () => {
    const ending = compositions;
    setTimeout(() => {
      if (ending === compositions) gate.end();
    }, 0);
  };
  el.text.addEventListener('compositionstart', () => {
    compositions += 1;
    gate.start();
  });
  el.text.addEventListener('compositionend', endSoon);
  // A box that loses focus has no composition any more (some keyboards end it
  // without compositionend): do not keep writes waiting for ever.
  el.text.addEventListener('blur', () => {
    if (gate.composing) endSoon();
  });
  el.list.addEventListener('click', (event) => {
    const button = event.target.closest('button[data-action]');
    const li = button && button.closest('li.item');
    if (!li) return;
    if (button.dataset.action === 'reuse') reuse(li.dataset.id);
    else if (button.dataset.action === 'cancel') cancelMessage(li.dataset.id);
  });
  el.clear.addEventListener('click', () => confirmTap(el.clear, 'Tap again to clear', clearHistory));
  el.forget.addEventListener('click', () => confirmTap(el.forget, 'Tap again to unpair', forgetPairing));
  el.pairGo.addEventListener('click', pairFromInput);
  el.pairLink.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') pairFromInput();
  });

  // A pairing link opened while the page is already open (a new QR code scanned).
  window.addEventListener('hashchange', takeCodeFromAddress);
  // Back online, or back to the page: retry now rather than at the next timer.
  window.addEventListener('online', wakeUp);
  document.addEventListener('visibilitychange', () => {
    if (document.hidden) saveDraftNow();
    else wakeUp();
  });
  window.addEventListener('pagehide', saveDraftNow);
  window.addEventListener('pageshow', (event) => {
    if (event.persisted) wakeUp();
  });
  window.addEventListener('offline', () => setConnection('offline'));
  // Another tab of this page changed the shared state.
  window.addEventListener('storage', (event) => {
    if (event.key === KEYS.messages) {
      reloadMessages();
      render();
      schedulePoll(0);
    } else if (event.key === KEYS.pairing) {
      state.pairing = validPairing(load(KEYS.pairing, null));
      state.unauthorized = false;
      state.pairProblem = null;
      render();
      if (state.pairing) wakeUp();
    }
  });

  fitViewport();
  if (window.visualViewport) window.visualViewport.addEventListener('resize', fitViewport);
  window.addEventListener('resize', fitViewport);

  // Opened by this page at another address of the desktop: take the pairing along.
  receiveMove(() => {
    showCompose();
    render();
    wakeUp();
  });
  renderDevices();
  render();
  if (state.pairing) {
    showCompose();
    refreshDevices();
    flush();
    schedulePoll(0);
    probeSoon();
  }
}

start();
