// Held messages in the desktop window's history (issue 13), under plain node.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HELD_TITLE, badgeOf } from '../../../../ui/desktop/history-view.js';

test('a held message shows as held, still a queued one for its colour', () => {
  assert.deepEqual(badgeOf({ status: 'queued', held: true }), ['Held', HELD_TITLE, 'badge badge-queued badge-held']);
  assert.deepEqual(badgeOf({ status: 'queued' }).slice(0, 1), ['Queued']);
  assert.deepEqual(badgeOf({ status: 'failed' })[2], 'badge badge-failed');
});

// The phone's side: held, Cancel, and the line next to Send while paused.
import { cancelOutcome, cancellable, describe as noteOf, followed, queuedNews, shownStatus } from '../../../../ui/phone/outbox.js';

test('the phone shows a held message as held on its desktop, and can cancel it', () => {
  const m = { id: 'a', status: 'queued', target: 'desk', error: null };
  const change = followed(m, { status: 200, data: { status: 'queued', deviceId: 'desk', held: true, heldSince: 5 } });
  assert.equal(change.patch.held, true);
  assert.match(change.say, /^Held on desk/);
  const held = { ...m, ...change.patch };
  assert.equal(shownStatus(held, false), 'held');
  assert.match(noteOf(held, { paired: true, unauthorized: false, sending: false }), /^Held on desk/);
  assert.equal(followed(held, { status: 200, data: { status: 'queued', deviceId: 'desk', held: true } }), null, 'no news');
  assert.ok(cancellable(held, false));
  // Cancelled in another tab: the relay keeps it as failed with this reason.
  const cancelled = followed(held, { status: 200, data: { status: 'failed', deviceId: 'desk', error: 'cancelled from the phone' } });
  assert.equal(cancelled.patch.status, 'cancelled');
  assert.equal(cancelled.patch.held, false);
});

test('Cancel: on messages not typed yet, and what each answer means', () => {
  const m = (status) => ({ id: 'a', status, target: 'desk' });
  assert.ok(cancellable(m('pending'), false));
  assert.ok(!cancellable(m('pending'), true), 'not while its POST is under way');
  assert.ok(cancellable(m('queued'), false));
  for (const s of ['delivered', 'injected', 'failed', 'cancelled', 'rejected']) assert.ok(!cancellable(m(s), false), s);
  assert.equal(cancelOutcome(m('queued'), { status: 200, data: {} }).patch.status, 'cancelled');
  const late = cancelOutcome(m('queued'), { status: 409, data: { error: { code: 'NOT_CANCELLABLE' } } });
  assert.equal(late.patch, null);
  assert.ok(late.follow);
  assert.match(late.say, /^Too late to cancel: desk already has it/);
  assert.match(cancelOutcome(m('queued'), { status: 0, data: null }).say, /^Not cancelled/);
});

test('queued on a paused desktop: the line next to Send says paused, with the count', () => {
  assert.equal(queuedNews('desk', { deviceId: 'desk', paused: true, queued: 2 }), 'Paused on desk · 2 waiting: typed once typing is resumed there.');
  assert.equal(queuedNews('desk', { deviceId: 'desk', paused: false, online: false }), 'Queued: desk gets it as soon as it is back online.');
  assert.equal(queuedNews('desk', null), 'Queued: desk gets it as soon as it is back online.');
});
