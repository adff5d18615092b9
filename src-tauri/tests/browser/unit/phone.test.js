// The phone page's pure modules (ui/phone/outbox.js, text.js, relay-view.js), under
// plain node.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  clearedText, describe as describeMessage, errorMessage, followed, newId, newMessage, postBody, postOutcome, sanitize,
  sentence, trimmed, watched,
} from '../../../../ui/phone/outbox.js';
import { appendText, cleanText, countChars, counter, sendable } from '../../../../ui/phone/text.js';
import { connectionView, defaultDeviceId, deviceLabel, deviceOptions } from '../../../../ui/phone/relay-view.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('ids', () => {
  test('a UUID v4, also where crypto.randomUUID is missing (plain http)', () => {
    assert.match(newId(), UUID);
    const insecure = { getRandomValues: (b) => crypto.getRandomValues(b) };
    const ids = new Set(Array.from({ length: 50 }, () => newId(insecure)));
    assert.equal(ids.size, 50);
    for (const id of ids) assert.match(id, UUID);
  });
});

describe('text', () => {
  test('control characters dropped, line ends made \\n; tabs and newlines kept', () => {
    assert.equal(cleanText('a\r\nb\rc\u0000d\u0007e\tf\u007f\u0085g\n'), 'a\nb\ncde\tfg\n');
  });

  test('characters are code points, as the relay counts them', () => {
    assert.equal(countChars('👍🏽é'), 3);
    assert.ok(sendable('hi'));
    assert.ok(!sendable(' \n\t'));
    assert.ok(sendable('😀'.repeat(10000)));
    assert.ok(!sendable('x'.repeat(10001)));
  });

  test('the counter shows near the limit and says what is too many', () => {
    assert.equal(counter('x'.repeat(8999)), null);
    assert.deepEqual(counter('x'.repeat(9000)), { over: false, text: `${(9000).toLocaleString()} / ${(10000).toLocaleString()} characters` });
    const over = counter('x'.repeat(10002));
    assert.equal(over.over, true);
    assert.match(over.text, /: 2 too many\. Send it in two parts\.$/);
  });

  test('a reused text is appended on its own line', () => {
    assert.equal(appendText('', 'again'), 'again');
    assert.equal(appendText('  \n', 'again'), 'again');
    assert.equal(appendText('first  \n', 'again'), 'first\nagain');
  });
});

describe('outbox', () => {
  const m = (patch = {}) => ({ ...newMessage('Hello', '', 'desk', 1000), ...patch });

  test('a new message waits to be sent, to the chosen desktop or this one', () => {
    const own = newMessage('Hello', '', 'desk', 1000);
    assert.match(own.id, UUID);
    assert.deepEqual({ ...own, id: 'x' }, {
      id: 'x', text: 'Hello', device: null, target: 'desk', status: 'pending', error: null, note: null, createdAt: 1000, changedAt: 1000,
    });
    const other = newMessage('Hi', 'lap', 'desk', 1000);
    assert.deepEqual([other.device, other.target], ['lap', 'lap']);
    assert.deepEqual(postBody(own), { text: 'Hello', id: own.id });
    assert.deepEqual(postBody(other), { text: 'Hi', id: other.id, deviceId: 'lap' });
  });

  test('stored records: only well-formed ones; the oldest settled ones go first, unsent ones never', () => {
    assert.deepEqual(sanitize('nope'), []);
    assert.deepEqual(sanitize([null, { id: 1, text: 'x' }, { id: 'a', text: 'x' }]), [{ id: 'a', text: 'x' }]);
    const list = [m({ id: '1', status: 'pending' }), m({ id: '2', status: 'injected' }), m({ id: '3', status: 'failed' }), m({ id: '4', status: 'pending' })];
    assert.deepEqual(trimmed(list, 2).map((x) => x.id), ['1', '4']);
    assert.deepEqual(trimmed(list, 3).map((x) => x.id), ['1', '3', '4']);
    assert.equal(trimmed(list, 4), list);
    assert.deepEqual(trimmed([m({ id: '1' }), m({ id: '2' })], 1).map((x) => x.id), ['1', '2']);
  });

  test('accepted: the status the relay gives, news for the user', () => {
    const msg = m();
    const out = postOutcome(msg, { status: 200, data: { id: msg.id, status: 'queued', deviceId: 'desk' } });
    assert.equal(out.next, 'done');
    assert.ok(out.accepted && out.online);
    assert.deepEqual(out.patch, { status: 'queued', target: 'desk', note: null, error: null });
    assert.equal(out.say, 'Queued: desk gets it as soon as it is back online.');
    // A resend whose first answer was lost can already be typed.
    assert.equal(postOutcome(msg, { status: 200, data: { id: msg.id, status: 'injected', deviceId: 'desk' } }).say, 'Typed on desk.');
    assert.equal(postOutcome(msg, { status: 200, data: { id: msg.id, status: 'weird' } }).patch.status, 'queued');
  });

  test('no answer (or not the relay\'s): kept, tried again with the same id, said once', () => {
    for (const res of [{ status: 0, data: null }, { status: 200, data: null }, { status: 204, data: null }]) {
      const out = postOutcome(m(), res);
      assert.equal(out.next, 'retry');
      assert.equal(out.online, false);
      assert.match(out.patch.note, /sent automatically when it's back/);
      assert.equal(out.patch.status, undefined, 'still pending');
    }
    assert.match(postOutcome(m(), { status: 0 }).say, /^Not sent yet/);
    assert.equal(postOutcome(m({ note: 'already said' }), { status: 0 }).say, null);
  });

  test('refusals: 401 stops, 429 waits longer, 5xx and 408 retry, other 4xx are final', () => {
    const error = (status, message) => ({ status, data: { error: { code: 'X', message } } });
    const unauthorized = postOutcome(m(), error(401, 'bad token'));
    assert.deepEqual([unauthorized.next, unauthorized.unauthorized], ['stop', true]);
    assert.equal(postOutcome(m(), error(429, 'queue full')).next, 'retry-later');
    assert.equal(postOutcome(m(), error(429, 'queue full')).patch.note, 'Queue full. It will be sent again shortly.');
    assert.equal(postOutcome(m(), error(503, 'shutting down')).next, 'retry');
    assert.equal(postOutcome(m(), { status: 408, data: null }).patch.note, 'The desktop answered with an error (HTTP 408). Trying again shortly.');
    const final = postOutcome(m(), error(400, 'text too long!'));
    assert.equal(final.next, 'done');
    assert.deepEqual(final.patch, { status: 'rejected', error: 'Text too long!', note: null });
    assert.equal(final.say, 'Not sent: Text too long!');
  });

  test('sentences and relay errors', () => {
    assert.equal(sentence('done'), 'done.');
    assert.equal(sentence('done?'), 'done?');
    assert.equal(errorMessage({ status: 500, data: null }), 'The desktop answered with an error (HTTP 500).');
  });

  test('which accepted messages are followed', () => {
    const now = 1_000_000;
    assert.ok(watched(m({ status: 'queued', changedAt: 0 }), now));
    assert.ok(watched(m({ status: 'delivered', changedAt: now - 1000 }), now));
    assert.ok(!watched(m({ status: 'delivered', changedAt: now - 3 * 60000 }), now));
    assert.ok(watched(m({ status: 'failed', error: null, changedAt: now }), now));
    assert.ok(!watched(m({ status: 'failed', error: 'why', changedAt: now }), now));
    assert.ok(!watched(m({ status: 'injected', changedAt: now }), now));
    assert.ok(!watched(m({ status: 'pending', changedAt: now }), now));
  });

  test('what a status check changes', () => {
    const queued = m({ status: 'queued', target: 'desk' });
    assert.equal(followed(queued, { status: 200, data: { status: 'queued', deviceId: 'desk' } }), null);
    assert.equal(followed(queued, { status: 500, data: null }), null);
    assert.deepEqual(followed(queued, { status: 200, data: { status: 'injected', deviceId: 'desk' } }),
      { patch: { status: 'injected', error: null, target: 'desk' }, say: 'Typed on desk.' });
    assert.equal(followed(queued, { status: 200, data: { status: 'failed', error: 'no display', deviceId: 'desk' } }).say,
      'desk could not type it: no display.');
    assert.deepEqual(followed(queued, { status: 404, data: null }).patch,
      { status: 'lost', error: 'Your desktop no longer knows this message.' });
  });

  test('the note under a message', () => {
    const paired = { paired: true, unauthorized: false, sending: false };
    assert.equal(describeMessage(m(), { ...paired, paired: false }), 'Will be sent once this phone is paired.');
    assert.equal(describeMessage(m(), { ...paired, unauthorized: true }), 'Waiting until this phone is paired again.');
    assert.equal(describeMessage(m(), paired), 'Will be sent as soon as your desktop is reachable.');
    assert.equal(describeMessage(m(), { ...paired, sending: true }), '');
    assert.equal(describeMessage(m({ note: 'n' }), paired), 'n');
    assert.equal(describeMessage(m({ status: 'queued', target: null }), paired), 'Your desktop gets it as soon as it is online.');
    assert.equal(describeMessage(m({ status: 'failed', error: 'no display' }), paired), 'desk could not type it: no display.');
    assert.equal(describeMessage(m({ status: 'lost', error: 'gone' }), paired), 'gone');
    assert.equal(describeMessage(m({ status: 'injected' }), paired), '');
    assert.equal(clearedText(0), 'History cleared.');
    assert.equal(clearedText(2), 'History cleared. 2 unsent message(s) kept.');
  });
});

describe('relay view', () => {
  test('the connection line', () => {
    const base = { paired: true, unauthorized: false, connection: 'online', waiting: 0 };
    assert.deepEqual(connectionView(base), ['online', 'Connected']);
    assert.deepEqual(connectionView({ ...base, waiting: 2 }), ['online', 'Connected']);
    assert.deepEqual(connectionView({ ...base, connection: 'offline', waiting: 2 }), ['offline', 'Not connected · 2 waiting']);
    assert.deepEqual(connectionView({ ...base, connection: 'checking' }), ['checking', 'Connecting…']);
    assert.deepEqual(connectionView({ ...base, paired: false, waiting: 1 }), ['unpaired', 'Not paired · 1 waiting']);
    assert.deepEqual(connectionView({ ...base, unauthorized: true }), ['unauthorized', 'Not paired any more']);
  });

  test('the "Send to" choices: this desktop first, sent without a deviceId', () => {
    assert.deepEqual(deviceOptions(null, '', true), [['', 'Your desktop']]);
    assert.deepEqual(deviceOptions(null, 'lap', true), [['', 'Your desktop'], ['lap', 'lap']]);
    const devices = [{ deviceId: 'zed', online: false, queued: 2 }, { deviceId: 'desk', online: true, default: true }, { deviceId: 'lap', online: true }];
    assert.deepEqual(deviceOptions(devices, '', true), [['', 'desk · online'], ['lap', 'lap · online'], ['zed', 'zed · offline, 2 waiting']]);
    assert.deepEqual(deviceOptions(devices, '', false), [['', 'desk'], ['lap', 'lap'], ['zed', 'zed']]);
    assert.deepEqual(deviceOptions([{ deviceId: 'lap', online: true }], '', true), [['', 'This desktop'], ['lap', 'lap · online']]);
    assert.equal(deviceLabel({ deviceId: 'a', online: true, queued: 1 }, true), 'a · online, 1 waiting');
    assert.equal(defaultDeviceId(devices), 'desk');
    assert.equal(defaultDeviceId(null), null);
  });
});

describe('not paired', () => {
  test('why, in words', async () => {
    const { notPairedWhy } = await import('../../../../ui/phone/relay-view.js');
    assert.match(notPairedWhy(null), /removed this phone/);
    assert.match(notPairedWhy('code'), /already used, has expired/);
    assert.match(notPairedWhy('forged'), /did not come from the desktop/);
    assert.match(notPairedWhy('offline'), /could not be reached/);
    assert.match(notPairedWhy('upgraded'), /key of its own/);
  });
});

describe('the desktop out of reach', () => {
  test('points to the desktop\'s Diagnostics', async () => {
    const { notPairedWhy } = await import('../../../../ui/phone/relay-view.js');
    assert.match(notPairedWhy('offline'), /Diagnostics \(or saytype doctor/);
  });
});
