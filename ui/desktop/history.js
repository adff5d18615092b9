// The History card: the messages, newest first, kept up to date by the live events;
// filters, paging, and the row actions (copy, show all, retry, delete, clear).

import { $, h } from '../lib/dom.js';
import { ApiError } from '../lib/api.js';
import { coalesce, coalesceEach } from '../lib/coalesce.js';
import { shortTime } from '../lib/time.js';
import { api } from './session.js';
import { confirmBox, copyWithFeedback, showError, toast } from './notes.js';
import { actionLabel } from '../lib/excerpt.js';
import {
  PAGE, badgeOf, deletedText, emptyText, filterStatus, historyQuery, isBehind, isLong,
  matchesFilter, rowAfterKey, rowTimes, saidTyped,
} from './history-view.js';

let filter = 'all';
/** id → { m: record, li } for the rows on screen. */
const rows = new Map();
let hasMore = false;
/** Bumped by every full reload, so answers to older requests are dropped. */
let generation = 0;
/** Whether a first page was loaded: before that, "nothing yet" would be a guess. */
let historyLoaded = false;

function minSeq() {
  let min = Infinity;
  for (const { m } of rows.values()) min = Math.min(min, m.seq);
  return min;
}

function button(label, action, extra = {}) {
  return h('button', { type: 'button', className: 'btn small ghost', dataset: { action }, ...extra }, label);
}

function renderRow(m) {
  const { times, exact } = rowTimes(m);
  const long = isLong(m.text);
  const [badge, badgeTitle, badgeClass] = badgeOf(m);
  // Every button says which message it acts on (a screen reader lists them all).
  const named = (action) => ({ 'aria-label': actionLabel(action, m.text) });
  return h('li', { className: 'msg', tabIndex: -1, dataset: { id: m.id, status: m.status, method: m.method || '', seq: String(m.seq) } },
    h('div', { className: 'msg-head' },
      h('span', { className: badgeClass, title: badgeTitle }, badge),
      h('span', { className: 'msg-meta' },
        h('span', { className: 'msg-device mono', title: 'Desktop' }, m.deviceId),
        ' · ',
        h('time', { className: 'msg-time', dateTime: new Date(m.createdAt).toISOString(), title: exact }, shortTime(m.createdAt)))),
    h('p', { className: long ? 'msg-text is-clamped' : 'msg-text' }, m.text),
    long ? button('Show all', 'expand', { className: 'btn link', ...named('Show all of') }) : null,
    saidTyped(m) ? h('p', { className: 'msg-typed hint' }, saidTyped(m)) : null,
    m.status === 'failed' && m.error ? h('p', { className: 'msg-error' }, h('strong', {}, 'Not typed: '), m.error) : null,
    h('div', { className: 'msg-foot' },
      h('span', { className: 'msg-times', title: exact }, times),
      h('span', { className: 'msg-actions' },
        m.status === 'failed' ? button('Retry', 'retry', { className: 'btn small', ...named('Retry') }) : null,
        m.held ? button('Type now', 'release', { className: 'btn small', ...named('Type now') }) : null,
        m.held ? button('Discard', 'discard', named('Discard')) : null,
        button('Copy', 'copy', named('Copy')),
        button('Delete', 'delete', named('Delete')))));
}

// ---------------------------------------------------------------------------
// The keyboard: the list is one Tab stop (see rowAfterKey).

/** The id of the row that holds the list's Tab stop. */
let currentRow = null;

/** Only the current row (or the first) and its buttons are in the Tab order. */
function syncTabStops() {
  const list = $('history');
  const items = [...list.children];
  const current = items.find((li) => li.dataset.id === currentRow) || items[0];
  for (const li of items) {
    const stop = li === current ? 0 : -1;
    if (li.tabIndex !== stop) li.tabIndex = stop;
    for (const b of li.querySelectorAll('button')) if (b.tabIndex !== stop) b.tabIndex = stop;
  }
}

/** Arrow keys between rows; focus anywhere in a row makes it the current one. */
export function initHistoryKeys() {
  const list = $('history');
  new MutationObserver(syncTabStops).observe(list, { childList: true });
  list.addEventListener('focusin', (event) => {
    const li = event.target.closest('li.msg');
    if (li && li.dataset.id !== currentRow) {
      currentRow = li.dataset.id;
      syncTabStops();
    }
  });
  list.addEventListener('keydown', (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    const li = event.target.closest('li.msg');
    if (!li) return;
    const items = [...list.children];
    const to = rowAfterKey(event.key, items.indexOf(li), items.length);
    if (to === null) return;
    event.preventDefault();
    currentRow = items[to].dataset.id;
    syncTabStops();
    items[to].focus();
  });
}

export function updateEmpty() {
  const empty = $('history-empty');
  if (rows.size || !historyLoaded) {
    empty.hidden = true;
    return;
  }
  empty.hidden = false;
  empty.textContent = emptyText(filter);
}

/** Put a row where its seq belongs (newest first). */
function placeRow(li, seq) {
  const list = $('history');
  for (const other of list.children) {
    if (Number(other.dataset.seq) < seq) {
      list.insertBefore(li, other);
      return;
    }
  }
  list.append(li);
}

function removeRow(id) {
  const row = rows.get(id);
  if (row) {
    row.li.remove();
    rows.delete(id);
  }
  updateEmpty();
}

function expand(li) {
  li.querySelector('.msg-text')?.classList.remove('is-clamped');
  li.querySelector('[data-action="expand"]')?.remove();
}

/** Show what the relay now says about one message (undefined: it is gone). */
function applyMessage(id, m) {
  const row = rows.get(id);
  if (!m) {
    removeRow(id);
    return;
  }
  // A late answer must not take a row back (states only move forward).
  if (row && isBehind(m, row.m)) return;
  if (!matchesFilter(filter, m)) {
    removeRow(id);
    return;
  }
  const li = renderRow(m);
  if (row) {
    // Keep the keyboard focus on the same button when a row is redrawn.
    const focused = row.li.contains(document.activeElement) ? document.activeElement.dataset.action : null;
    if (row.li.querySelector('.msg-text:not(.is-clamped)') && li.querySelector('.is-clamped')) expand(li);
    row.li.replaceWith(li);
    if (focused) li.querySelector(`[data-action="${focused}"]`)?.focus();
  } else {
    // Older than what is loaded while more pages exist: it arrives with "Load more".
    if (hasMore && m.seq < minSeq()) return;
    li.classList.add('is-new');
    placeRow(li, m.seq);
  }
  rows.set(id, { m, li });
  updateEmpty();
}

/** Load the first page again (also after "history" events: deletions, clearing, lag). */
export const reloadHistory = coalesce(async () => {
  const gen = ++generation;
  // As many rows as the user has already paged through, so a reload keeps the place.
  const limit = Math.min(1000, Math.max(PAGE, rows.size));
  const list = await api('GET', historyQuery({ status: filterStatus(filter), limit }));
  if (gen !== generation) return;
  const before = new Map(rows);
  rows.clear();
  const items = list.map((fetched) => {
    // A row updated by an event while this page was on its way may be newer.
    const known = before.get(fetched.id)?.m;
    const m = known && isBehind(fetched, known) ? known : fetched;
    const li = renderRow(m);
    rows.set(m.id, { m, li });
    return li;
  });
  $('history').replaceChildren(...items);
  hasMore = list.length === limit;
  $('more').hidden = !hasMore;
  historyLoaded = true;
  updateEmpty();
});

export async function loadMore() {
  const gen = generation;
  const more = $('more');
  more.disabled = true;
  more.textContent = 'Loading…';
  try {
    const list = await api('GET', historyQuery({ status: filterStatus(filter), before: minSeq(), limit: PAGE }));
    if (gen !== generation) return;
    for (const m of list) {
      if (rows.has(m.id)) continue;
      const li = renderRow(m);
      $('history').append(li);
      rows.set(m.id, { m, li });
      updateEmpty();
    }
    hasMore = list.length === PAGE;
  } catch (err) {
    showError(err);
  } finally {
    more.disabled = false;
    more.textContent = 'Load more';
    more.hidden = !hasMore;
  }
}

/** Refetch one message, one request at a time per id (events can come in bursts). */
const fetchMessage = coalesceEach(async (id) => {
  const [m] = await api('GET', historyQuery({ id, limit: 1 }));
  applyMessage(id, m);
});

export function refreshMessage(id) {
  return fetchMessage(id).catch((err) => {
    if (!(err instanceof ApiError && err.status === 401)) console.warn('refreshing a message failed:', err.message);
  });
}

export async function onRowAction(event) {
  const target = event.target.closest('button[data-action]');
  if (!target) return;
  const li = target.closest('li.msg');
  const row = li && rows.get(li.dataset.id);
  if (!row) return;
  const { m } = row;
  switch (target.dataset.action) {
    case 'copy':
      await copyWithFeedback(m.text, 'Text');
      break;
    case 'expand':
      expand(li);
      break;
    case 'delete':
      target.disabled = true;
      try {
        await api('DELETE', `/ui/api/messages/${encodeURIComponent(m.id)}`);
        removeRow(m.id);
        toast(m.status === 'queued' ? 'Deleted; it will not be typed.' : 'Deleted.');
      } catch (err) {
        target.disabled = false;
        if (err.status === 404) removeRow(m.id);
        else showError(err);
      }
      break;
    case 'release':
    case 'discard':
      // Held messages (issue 13): type it now, or end it without typing.
      target.disabled = true;
      try {
        await api('POST', `/ui/api/messages/${encodeURIComponent(m.id)}/${target.dataset.action}`);
        toast(target.dataset.action === 'release' ? 'Typing it now.' : 'Discarded; it will not be typed.');
        refreshMessage(m.id);
      } catch (err) {
        target.disabled = false;
        showError(err);
      }
      break;
    case 'retry':
      target.disabled = true;
      try {
        const sent = await api('POST', `/ui/api/messages/${encodeURIComponent(m.id)}/retry`);
        // The new message replaces the failed one (the relay deleted it): one row
        // for one text, not a failed row and its lookalike.
        removeRow(m.id);
        toast(sent.status === 'queued' ? `Sent again: waiting for ${sent.deviceId}.` : 'Sent again.');
        refreshMessage(sent.id); // in case its event came before this answer
        // The keyboard stays on the message: on its new row once it is there.
        if (li.contains(document.activeElement) || document.activeElement === document.body) currentRow = sent.id;
      } catch (err) {
        target.disabled = false;
        showError(err);
      }
      break;
    default:
  }
}

export function setFilter(value) {
  if (value === filter) return;
  filter = value;
  for (const chip of $('filter').querySelectorAll('[data-filter]')) {
    chip.setAttribute('aria-pressed', String(chip.dataset.filter === value));
  }
  // Start from the first page of the new selection; drop answers for the old one.
  generation += 1;
  rows.clear();
  $('history').replaceChildren();
  reloadHistory().catch(showError);
}

export async function clearHistory() {
  const ok = await confirmBox({
    title: 'Clear the history?',
    text: 'Every delivered, typed and failed message is deleted from this computer. Queued messages stay: they are still on their way.',
    ok: 'Clear history',
    danger: true,
  });
  if (!ok) return;
  try {
    const { removed } = await api('DELETE', '/ui/api/messages');
    toast(deletedText(removed));
    await reloadHistory();
  } catch (err) {
    showError(err);
  }
}
