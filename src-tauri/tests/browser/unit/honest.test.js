// Issue 13's page rules in the pure modules, under plain node: honest states
// (recorded, paused), names of the row buttons, the history's keyboard stop, the
// "Send to" picker, and the dictation box's composition gate.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { STATUS_LABEL, describe as describeMessage, followed, shownStatus } from '../../../../ui/phone/outbox.js';
import { compositionGate } from '../../../../ui/phone/text.js';
import { chosenDevice, connectionView, deviceLabel, deviceOptions, pickerShown } from '../../../../ui/phone/relay-view.js';
import { actionLabel, excerpt } from '../../../../ui/lib/excerpt.js';
import {
  STATUS_LABEL as ROW_LABEL, rowAfterKey, rowTimes, shownStatus as rowStatus,
} from '../../../../ui/desktop/history-view.js';
import { deviceLook, deviceNotes } from '../../../../ui/desktop/status-view.js';

describe('recorded, not typed', () => {
  test('the phone learns "recorded" from the relay and keeps it', () => {
    const m = { id: 'a', status: 'delivered', target: 'desk', error: null };
    const change = followed(m, { status: 200, data: { status: 'injected', deviceId: 'desk', method: 'recorded' } });
    assert.equal(change.patch.method, 'recorded');
    assert.match(change.say, /^Recorded on desk/);
    const recorded = { ...m, ...change.patch };
    assert.equal(STATUS_LABEL[shownStatus(recorded, false)], 'Recorded');
    assert.match(describeMessage(recorded, { paired: true }), /not typed/);
    // The desktop left record-only mode later: the message stays recorded.
    assert.equal(followed(recorded, { status: 200, data: { status: 'injected', deviceId: 'desk' } }), null);
    // Typed for real: "Typed".
    const typed = followed(m, { status: 200, data: { status: 'injected', deviceId: 'desk' } });
    assert.equal(STATUS_LABEL[shownStatus({ ...m, ...typed.patch }, false)], 'Typed');
  });

  test('the window shows "Recorded" with its own times', () => {
    const row = { status: 'injected', method: 'recorded', createdAt: 1000, deliveredAt: 1004, injectedAt: 1010 };
    assert.equal(ROW_LABEL[rowStatus(row)], 'Recorded');
    assert.match(rowTimes(row).times, /recorded in/);
    assert.doesNotMatch(rowTimes(row).times, /typed/);
    assert.equal(ROW_LABEL[rowStatus({ ...row, method: undefined })], 'Typed');
  });
});

describe('paused, not offline', () => {
  const paused = { deviceId: 'desk', default: true, online: false, paused: true, queued: 2 };
  test('the phone\'s connection line and picker', () => {
    const base = { paired: true, unauthorized: false, connection: 'online', waiting: 0 };
    assert.deepEqual(connectionView({ ...base, target: paused }), ['paused', 'Paused on desk · 2 waiting']);
    assert.deepEqual(connectionView({ ...base, target: { ...paused, queued: 0 } }), ['paused', 'Paused on desk']);
    // The relay itself is gone: that is what counts.
    assert.deepEqual(connectionView({ ...base, connection: 'offline', target: paused }), ['offline', 'Not connected']);
    assert.equal(deviceLabel(paused, true), 'desk · paused, 2 waiting');
    assert.equal(chosenDevice([paused], ''), paused);
    assert.equal(chosenDevice([paused], 'lap'), null);
    const queued = { status: 'queued', target: 'desk' };
    assert.match(describeMessage(queued, { paired: true, paused: ['desk'] }), /paused on desk/);
  });

  test('the window\'s list of desktops', () => {
    assert.equal(deviceNotes(paused, 'desk'), 'paused · this desktop · default');
    assert.equal(deviceLook(paused), 'wait');
    assert.equal(deviceLook({ online: false }), 'idle');
  });
});

describe('the pages for everyone', () => {
  test('row buttons say which message they act on', () => {
    assert.equal(actionLabel('Copy', 'Hello'), 'Copy “Hello”');
    assert.equal(excerpt('  one\n two  '), 'one two');
    const long = 'Meeting moved to Thursday at three, in the big room upstairs';
    assert.ok([...excerpt(long)].length <= 40);
    assert.ok(excerpt(long).endsWith('…'));
    assert.notEqual(actionLabel('Copy', 'First message'), actionLabel('Copy', 'Second message'));
  });

  test('the history is one Tab stop; arrows move between rows', () => {
    assert.equal(rowAfterKey('ArrowDown', 0, 3), 1);
    assert.equal(rowAfterKey('ArrowDown', 2, 3), 2);
    assert.equal(rowAfterKey('ArrowUp', 0, 3), 0);
    assert.equal(rowAfterKey('End', 0, 3), 2);
    assert.equal(rowAfterKey('Home', 2, 3), 0);
    assert.equal(rowAfterKey('Tab', 0, 3), null);
    assert.equal(rowAfterKey('ArrowDown', 0, 0), null);
  });

  test('the "Send to" picker only when there is a choice', () => {
    const one = [{ deviceId: 'desk', default: true, online: true, queued: 0 }];
    assert.equal(pickerShown(deviceOptions(one, '', true)), false);
    assert.equal(pickerShown(deviceOptions([...one, { deviceId: 'lap', online: false, queued: 0 }], '', true)), true);
    // A desktop chosen earlier that is not listed any more stays choosable.
    assert.equal(pickerShown(deviceOptions(null, 'lap', false)), true);
  });
});

describe('the dictation box', () => {
  test('writes wait for the end of a composition, in order', () => {
    const gate = compositionGate();
    const done = [];
    gate.run(() => done.push('now'));
    assert.deepEqual(done, ['now']);
    gate.start();
    gate.run(() => done.push('reuse'));
    gate.run(() => done.push('send'));
    assert.deepEqual(done, ['now'], 'nothing written while composing');
    assert.equal(gate.waiting, 2);
    gate.end();
    assert.deepEqual(done, ['now', 'reuse', 'send']);
    assert.equal(gate.composing, false);
    assert.equal(gate.waiting, 0);
  });
});
