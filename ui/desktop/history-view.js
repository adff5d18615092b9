// The History card in words, from GET /ui/api/history. Pure (no DOM): unit-tested.

import { duration, fullTime } from '../lib/time.js';

export const PAGE = 50; // history rows per page

/** States only move forward: queued → delivered → injected or failed. */
const STATUS_ORDER = { queued: 0, delivered: 1, injected: 2, failed: 2 };
export const STATUS_LABEL = { queued: 'Queued', delivered: 'Delivered', injected: 'Typed', failed: 'Failed' };
export const STATUS_TITLE = {
  queued: 'Waiting at the relay until the desktop is online (and typing is not paused)',
  delivered: 'The desktop has it and is about to type it',
  injected: 'Typed (or pasted, or only recorded in the mode "Don\'t type")',
  failed: 'The desktop could not type it; see the reason',
};

/** A held message (issue 13): still `queued`, kept from typing until the user says. */
export const HELD_TITLE = 'It waited too long for this desktop, so it was not typed: Type now, Copy or Discard';

/** The badge of a row: [label, title, class]. */
export function badgeOf(m) {
  if (m.held) return ['Held', HELD_TITLE, 'badge badge-queued badge-held'];
  return [STATUS_LABEL[m.status] || m.status, STATUS_TITLE[m.status] || '', `badge badge-${m.status}`];
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
  const steps = [['deliveredAt', 'delivered', 'Delivered'], ['injectedAt', 'typed', 'Typed'], ['failedAt', 'failed', 'Failed']];
  const times = [];
  const exact = [`Received ${fullTime(m.createdAt)}`];
  for (const [key, word, Word] of steps) {
    if (!m[key]) continue;
    times.push(`${word} in ${duration(m[key] - m.createdAt)}`);
    exact.push(`${Word} ${fullTime(m[key])}`);
  }
  return { times: times.join(' · '), exact: exact.join('\n') };
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
