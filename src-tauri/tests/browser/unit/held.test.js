// Held messages in the desktop window's history (issue 13), under plain node.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HELD_TITLE, badgeOf } from '../../../../ui/desktop/history-view.js';

test('a held message shows as held, still a queued one for its colour', () => {
  assert.deepEqual(badgeOf({ status: 'queued', held: true }), ['Held', HELD_TITLE, 'badge badge-queued badge-held']);
  assert.deepEqual(badgeOf({ status: 'queued' }).slice(0, 1), ['Queued']);
  assert.deepEqual(badgeOf({ status: 'failed' })[2], 'badge badge-failed');
});
