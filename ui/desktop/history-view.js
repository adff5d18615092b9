// The History card in words, from GET /ui/api/history. Pure (no DOM): unit-tested.

import { duration, fullTime } from '../lib/time.js';

export const PAGE = 50; // history rows per page

/** States only move forward: queued → delivered → injected or failed. */
const STATUS_ORDER = { queued: 0, delivered: 1, injected: 2, failed: 2 };
export const STATUS_LABEL = { queued: 'Queued', delivered: 'Delivered', injected: 'Typed', recorded: 'Recorded', failed: 'Failed' };
export const STATUS_TITLE = {
  queued: 'Waiting at the relay until the desktop is online (and typing is not paused)',
  delivered: 'The desktop has it and is about to type it',
  injected: 'Typed (or pasted) where the focus was',
  recorded: 'Recorded only, not typed: the desktop is in the mode "Don\'t type" (--inject none)',
  failed: 'The desktop could not type it; see the reason',
};

/** The status a row shows: an injected message the desktop only recorded is "recorded". */
export const shownStatus = (m) => (m.status === 'injected' && m.method === 'recorded' ? 'recorded' : m.status);

/** A held message (issue 13): still `queued`, kept from typing until the user says. */
export const HELD_TITLE = 'It waited too long for this desktop, so it was not typed: Type now, Copy or Discard';

/** The badge of a row: [label, title, class]. */
export function badgeOf(m) {
  if (m.held) return ['Held', HELD_TITLE, 'badge badge-queued badge-held'];
  const shown = shownStatus(m);
  return [STATUS_LABEL[shown] || m.status, STATUS_TITLE[shown] || '', `badge badge-${shown}`];
}

/** Whether `m` is a step behind `than` (a late answer must not take a row back). */
export function isBehind(m, than) {
  return (STATUS_ORDER[m.status] ?? 0) < (STATUS_ORDER[than.status] ?? 0);
}

export const matchesFilter = (filter, m) => filter === 'all' || m.status === filter;

/** The history URL for these parameters (null/undefined ones left out). */
export function historyQuery(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null) q.set(k, String(v));
  return `/ui/api/history?${q}`;
}

/** The status parameter of a filter ('all' = none). */
export const filterStatus = (filter) => (filter === 'all' ? null : filter);

/** "delivered in 4 ms · typed in 12 ms", and the exact times for the tooltip. */
export function rowTimes(m) {
  const done = shownStatus(m) === 'recorded' ? ['recorded', 'Recorded'] : ['typed', 'Typed'];
  const steps = [['deliveredAt', 'delivered', 'Delivered'], ['injectedAt', ...done], ['failedAt', 'failed', 'Failed']];
  const times = [];
  const exact = [`Received ${fullTime(m.createdAt)}`];
  for (const [key, word, Word] of steps) {
    if (!m[key]) continue;
    times.push(`${word} in ${duration(m[key] - m.createdAt)}`);
    exact.push(`${Word} ${fullTime(m[key])}`);
  }
  return { times: times.join(' · '), exact: exact.join('\n') };
}

/**
 * The history list is one stop of the Tab key (a roving tabindex): Up/Down (and
 * Home/End) move between rows, Tab goes from the current row to its buttons and
 * then on to pairing and settings, instead of through every row's buttons. The
 * row to go to for `key` from row `index` of `count`, or null for other keys.
 */
export function rowAfterKey(key, index, count) {
  if (!count) return null;
  const to = { ArrowDown: index + 1, ArrowUp: index - 1, Home: 0, End: count - 1, PageDown: index + 10, PageUp: index - 10 }[key];
  return to === undefined ? null : Math.max(0, Math.min(count - 1, to));
}

/** Long texts are shown clamped, with "Show all". */
export function isLong(text) {
  return text.length > 600 || text.split('\n').length > 8;
}

/** What the empty list says under this filter. */
export function emptyText(filter) {
  return filter === 'all'
    ? 'Nothing yet. Dictate on your phone and the messages show up here as they arrive.'
    : `No ${STATUS_LABEL[filter].toLowerCase()} messages.`;
}

/** "1 message deleted." / "3 messages deleted." */
export function deletedText(removed) {
  return removed === 1 ? '1 message deleted.' : `${removed} messages deleted.`;
}

/** The window's line for a message whose typed text differs from what was said, or null. */
export function saidTyped(m) {
  if (typeof m.typed !== 'string' || m.typed === m.text) return null;
  const shown = (t) => `“${t.replace(/\n/g, '↵').replace(/\t/g, '⇥')}”`;
  if (m.typed === '' && m.target?.method === 'erased') return `Said ${shown(m.text)}: removed the previous message.`;
  if (m.typed === '') return `Said ${shown(m.text)}, typed nothing.`;
  return `Said ${shown(m.text)}, typed ${shown(m.typed)}.`;
}
