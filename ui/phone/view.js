// Drawing the phone page from its state: which parts show, the connection line,
// the "Send to" picker, the list of sent messages, the composer's counter.

import { $, h, showText } from '../lib/dom.js';
import { renderMoved } from './roam.js';
import { clockTime } from '../lib/time.js';
import { KEYS, load, pending, state } from './state.js';
import { STATUS_LABEL, cancellable, describe, shownStatus } from './outbox.js';
import { chosenDevice, connectionView, deviceOptions, notPairedWhy, pickerShown } from './relay-view.js';
import { cleanText, counter, sendable } from './text.js';
import { actionLabel } from '../lib/excerpt.js';

export const el = {
  conn: $('conn'),
  connText: $('conn-text'),
  pair: $('pair'),
  pairLink: $('pair-link'),
  pairGo: $('pair-go'),
  pairError: $('pair-error'),
  notPaired: $('not-paired'),
  notPairedDesktop: $('not-paired-desktop'),
  notPairedWhy: $('not-paired-why'),
  compose: $('compose'),
  text: $('text'),
  counter: $('counter'),
  history: $('history'),
  list: $('list'),
  clear: $('clear'),
  forget: $('forget'),
  sendbar: $('sendbar'),
  device: $('device'),
  target: $('target'),
  pairLive: $('pair-live'),
  send: $('send'),
  announce: $('announce'),
};

export function render() {
  const paired = Boolean(state.pairing);
  // Revoked on the desktop, or a pairing link that did not pair: say so plainly.
  const problem = (paired && state.unauthorized) || Boolean(state.pairProblem);
  // How to pair (again) shows whenever this phone cannot send.
  el.pair.hidden = paired && !problem;
  el.notPaired.hidden = !problem;
  if (problem) {
    showText(el.notPairedDesktop, state.desktop || state.pairing?.desktop || 'your desktop');
    showText(el.notPairedWhy, notPairedWhy(state.pairProblem));
  }
  // Screen readers hear why pairing did not work (a section that appears is not
  // reliably read out; a live region that stays in the page is).
  const live = problem ? `${el.notPaired.querySelector('h2').textContent}. ${el.notPairedWhy.textContent}` : '';
  if (el.pairLive.textContent !== live) el.pairLive.textContent = live;
  el.compose.hidden = !paired;
  el.sendbar.hidden = !paired;
  el.forget.hidden = !paired;
  el.history.hidden = state.messages.length === 0;
  renderConnection();
  renderList();
  updateComposer();
}

export function renderConnection() {
  const [connState, text] = connectionView({
    paired: Boolean(state.pairing),
    unauthorized: state.unauthorized,
    connection: state.connection,
    waiting: pending().length,
    target: chosenDevice(state.devices, load(KEYS.device, '')),
  });
  el.conn.dataset.state = connState;
  if (el.connText.textContent !== text) el.connText.textContent = text;
  renderMoved();
}

export function renderDevices() {
  const chosen = load(KEYS.device, '');
  const options = deviceOptions(state.devices, chosen, state.connection === 'online');
  // Rebuilding an open <select> would close it: only touch it when something changed.
  const signature = JSON.stringify(options);
  if (el.device.dataset.signature !== signature) {
    el.device.dataset.signature = signature;
    el.device.replaceChildren(...options.map(([value, label]) => h('option', { value }, label)));
  }
  el.device.value = options.some(([v]) => v === chosen) ? chosen : '';
  // One desktop: nothing to choose, no row taken.
  const shown = pickerShown(options);
  el.target.hidden = !shown;
  el.sendbar.classList.toggle('single', !shown);
}

// A row is not a button: a tap on an old message must not change the box while
// the user dictates. Reusing its text is the explicit "Reuse" button.
function newItem(id) {
  return h('li', { className: 'item', dataset: { id } },
    h('div', { className: 'item-body' },
      h('span', { className: 'item-text' }),
      h('span', { className: 'item-meta' }, h('span', { className: 'badge' }), h('time'), h('span', { className: 'item-device' }),
        h('button', { type: 'button', className: 'btn-link cancel', dataset: { action: 'cancel' }, hidden: true }, 'Cancel'),
        h('button', { type: 'button', className: 'btn-link reuse', dataset: { action: 'reuse' } }, 'Reuse')),
      h('span', { className: 'item-note' })));
}

/** One <li> per message, newest first, reused across renders (keeps focus, cheap). */
function renderList() {
  const shown = [...state.messages].reverse();
  const existing = new Map([...el.list.children].map((li) => [li.dataset.id, li]));
  const multi = state.devices && state.devices.length > 1;
  const paused = (state.devices || []).filter((d) => d.paused).map((d) => d.deviceId);
  const pairing = { paired: Boolean(state.pairing), unauthorized: state.unauthorized, paused };
  shown.forEach((m, index) => {
    const li = existing.get(m.id) || newItem(m.id);
    existing.delete(m.id);
    const sending = state.inFlight.has(m.id);
    const status = shownStatus(m, sending);
    // "recorded" is an injected message that was not typed: the same look, its own words.
    // "held" is a queued message that waits for the user: the same colour, its own words.
    li.dataset.status = { recorded: 'injected', held: 'queued' }[status] || status;
    li.dataset.held = String(status === 'held');
    li.dataset.method = m.method || '';
    showText(li.querySelector('.item-text'), m.text);
    for (const [selector, action] of [['.reuse', 'Reuse'], ['.cancel', 'Cancel']]) {
      const button = li.querySelector(selector);
      const label = actionLabel(action, m.text);
      if (button.getAttribute('aria-label') !== label) button.setAttribute('aria-label', label);
    }
    li.querySelector('.cancel').hidden = !cancellable(m, sending);
    showText(li.querySelector('.badge'), STATUS_LABEL[status] || status);
    const time = li.querySelector('time');
    time.dateTime = new Date(m.createdAt).toISOString();
    showText(time, clockTime(m.createdAt));
    showText(li.querySelector('.item-device'), multi && m.target ? `to ${m.target}` : '');
    showText(li.querySelector('.item-note'), describe(m, { ...pairing, sending }));
    // Move only when out of place: moving a focused node would drop its focus.
    if (el.list.children[index] !== li) el.list.insertBefore(li, el.list.children[index] || null);
  });
  for (const li of existing.values()) li.remove();
}

/** Whether the box's text can be sent now. */
export function canSend(text) {
  return Boolean(state.pairing) && sendable(text);
}

export function updateComposer() {
  const count = counter(el.text.value);
  if (count) {
    el.counter.textContent = count.text;
    el.counter.dataset.over = String(count.over);
    el.counter.hidden = false;
  } else {
    el.counter.hidden = true;
    el.counter.textContent = '';
  }
  el.send.disabled = !canSend(cleanText(el.text.value));
}

/** Tell screen readers (and the send bar's status line) what just happened. */
export function say(text) {
  el.announce.textContent = text;
}

export function showCompose() {
  if (!el.compose.hidden && document.activeElement === document.body) el.text.focus();
}
