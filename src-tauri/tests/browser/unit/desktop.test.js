// The desktop window's pure modules (ui/desktop/*-view.js), under plain node.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  agentLabel, asksForGrant, describeUserAgent, deviceNotes, injectorLook, injectorView, mdnsView, phoneNotes,
  relayView, sortDevices,
} from '../../../../ui/desktop/status-view.js';
import {
  deletedText, emptyText, filterStatus, historyQuery, isBehind, isLong, matchesFilter, rowTimes, saidTyped,
} from '../../../../ui/desktop/history-view.js';
import { addressNote, qrImage } from '../../../../ui/desktop/pairing-view.js';
import { differs, portProblem, retentionProblem, savedText } from '../../../../ui/desktop/settings-view.js';

describe('status', () => {
  const agent = (injectorState, injector) => ({ injectorState, injector, injectorOk: injectorState !== 'unavailable' });

  test('the injector line follows injectorState, never its words', () => {
    assert.deepEqual(injectorView(agent('ready', 'ready to type into the focused X11 window')),
      { works: true, text: 'ready to type into the focused X11 window' });
    assert.deepEqual(injectorView(agent('unavailable', 'no display: DISPLAY is not set')),
      { works: false, text: 'no display: DISPLAY is not set' });
    // Words that look like trouble do not make it trouble, nor the reverse.
    assert.equal(injectorView(agent('ready', 'cannot say')).works, true);
    assert.equal(injectorView(agent('unavailable', 'ready to type')).works, false);
    const recording = 'recording only (injection mode: none)';
    assert.deepEqual(injectorView(agent('recording', recording)), { works: true, text: recording });
    // Right after the mode changed, the relay checks it again: not known yet.
    assert.deepEqual(injectorView(agent('checking', 'checking the new injection mode…')),
      { works: null, text: 'checking the new injection mode…' });
    // A state from a newer relay: not known.
    assert.equal(injectorView(agent('someday', 'x')).works, null);
  });

  test('"Allow typing" is offered while the route waits for the permission', () => {
    const waiting = { ...agent('unavailable', 'SayType needs your permission'), injectorNeedsGrant: true };
    assert.equal(asksForGrant(waiting), true);
    assert.equal(asksForGrant({ ...waiting, paused: true }), false, 'not while paused');
    assert.equal(asksForGrant(agent('unavailable', 'no display')), false);
    // A relay from before the field: never.
    assert.equal(asksForGrant(agent('ready', 'ready')), false);
    assert.equal(asksForGrant(null), false);
  });

  test('looks and labels', () => {
    assert.deepEqual(injectorLook(true), ['injector', '✓']);
    assert.deepEqual(injectorLook(false), ['injector injector-bad', '!']);
    assert.deepEqual(injectorLook(null), ['injector injector-unknown', '…']);
    assert.deepEqual(agentLabel('connected'), ['Online', 'ok']);
    assert.deepEqual(agentLabel('stopped'), ['Stopped', 'bad']);
    assert.deepEqual(agentLabel('new-state'), ['new-state', 'wait']);
  });

  test('relay and discovery', () => {
    assert.deepEqual(relayView({ address: '0.0.0.0', port: 7373 }), { where: 'port 7373', note: 'Listening on every network of this computer.' });
    assert.deepEqual(relayView({ address: '127.0.0.1', port: 9 }), { where: '127.0.0.1:9', note: 'This computer only: phones cannot reach it.' });
    assert.deepEqual(relayView({ address: '192.168.1.5', port: 9 }), { where: '192.168.1.5:9', note: '' });
    assert.equal(mdnsView(null), null);
    assert.deepEqual(mdnsView({ enabled: false }), ['Off', 'idle', 'Phones need the pairing link.']);
    assert.deepEqual(mdnsView({ enabled: true, advertising: true }), ['On', 'ok', 'Phones on this network can find SayType.']);
    assert.deepEqual(mdnsView({ enabled: true, advertising: false, detail: 'port busy' }), ['Not advertising', 'bad', 'port busy']);
  });

  test('desktops and phones', () => {
    const now = 10_000_000;
    const list = sortDevices([{ deviceId: 'b', online: false }, { deviceId: 'c', online: true }, { deviceId: 'a', online: false }]);
    assert.deepEqual(list.map((d) => d.deviceId), ['c', 'a', 'b']);
    assert.equal(deviceNotes({ deviceId: 'desk', online: true, default: true }, 'desk', now), 'online · this desktop · default');
    assert.equal(deviceNotes({ deviceId: 'lap', online: false, lastSeen: now - 300000 }, 'desk', now), 'offline, seen 5 min ago');
    assert.equal(deviceNotes({ deviceId: 'lap', online: false }, undefined, now), 'offline');
    assert.equal(phoneNotes({ address: '10.0.0.2', messages: 1, lastSeen: now }, now), '10.0.0.2 · 1 message · just now');
    assert.equal(phoneNotes({ address: '10.0.0.2', messages: 3, lastSeen: now }, now), '10.0.0.2 · 3 messages · just now');
  });

  test('user agents in a few words', () => {
    assert.equal(describeUserAgent(''), 'unknown browser');
    assert.equal(describeUserAgent('Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Mobile Safari/537.36'), 'Android 14 · Chrome');
    assert.equal(describeUserAgent('Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1'), 'iPhone, iOS 17.4 · Safari');
    assert.equal(describeUserAgent('Mozilla/5.0 (Android 13; Mobile; rv:120.0) Gecko/120.0 Firefox/120.0'), 'Android 13 · Firefox');
    assert.equal(describeUserAgent('curl/8.5.0'), 'curl');
  });
});

describe('history', () => {
  test('states only move forward', () => {
    assert.ok(isBehind({ status: 'queued' }, { status: 'delivered' }));
    assert.ok(isBehind({ status: 'delivered' }, { status: 'failed' }));
    assert.ok(!isBehind({ status: 'injected' }, { status: 'failed' }));
    assert.ok(!isBehind({ status: 'injected' }, { status: 'queued' }));
  });

  test('filters and queries', () => {
    assert.ok(matchesFilter('all', { status: 'failed' }));
    assert.ok(!matchesFilter('queued', { status: 'failed' }));
    assert.equal(filterStatus('all'), null);
    assert.equal(historyQuery({ status: filterStatus('failed'), before: 12, limit: 50 }), '/ui/api/history?status=failed&before=12&limit=50');
    assert.equal(historyQuery({ status: null, id: 'a b', limit: 1 }), '/ui/api/history?id=a+b&limit=1');
    assert.match(emptyText('all'), /^Nothing yet/);
    assert.equal(emptyText('injected'), 'No typed messages.');
    assert.equal(deletedText(1), '1 message deleted.');
    assert.equal(deletedText(0), '0 messages deleted.');
  });

  test('the times of a row', () => {
    const { times, exact } = rowTimes({ createdAt: 1000, deliveredAt: 1004, injectedAt: 2200 });
    assert.equal(times, 'delivered in 4 ms · typed in 1.2 s');
    assert.equal(exact.split('\n').length, 3);
    assert.match(exact, /^Received .*\nDelivered .*\nTyped /);
    assert.equal(rowTimes({ createdAt: 1000, failedAt: 1500 }).times, 'failed in 500 ms');
  });

  test('long texts are clamped', () => {
    assert.ok(!isLong('short'));
    assert.ok(isLong('x'.repeat(601)));
    assert.ok(isLong('a\n'.repeat(8)));
  });
});

describe('pairing', () => {
  test('the QR code only as an SVG image', () => {
    assert.equal(qrImage('<svg xmlns="http://www.w3.org/2000/svg"></svg>'), `data:image/svg+xml;charset=utf-8,${encodeURIComponent('<svg xmlns="http://www.w3.org/2000/svg"></svg>')}`);
    assert.equal(qrImage('<html><script>alert(1)</script>'), null);
    assert.equal(qrImage(undefined), null);
  });

  test('the addresses hint', () => {
    assert.match(addressNote({ host: '127.0.0.1', lanAddresses: [] }), /no network address/);
    assert.equal(addressNote({ host: '192.168.1.5', lanAddresses: ['192.168.1.5', '10.0.0.3'] }),
      'If the phone cannot open it, replace 192.168.1.5 with another address of this computer: 10.0.0.3.');
    assert.equal(addressNote({ host: '192.168.1.5', lanAddresses: ['192.168.1.5'] }), '');
    assert.equal(addressNote({
      host: '192.168.1.5',
      otherAddresses: [{ ip: '172.17.0.1', reason: 'docker0 is a Docker bridge: phones usually cannot reach it' }],
    }), 'If the phone cannot open it, replace 192.168.1.5 in the link with another address of this computer: 172.17.0.1 (docker0 is a Docker bridge: phones usually cannot reach it).');
    assert.equal(addressNote({ host: '127.0.0.1', unreachable: 'SayType listens on this computer only' }), '', 'the reason is shown instead of the QR code');
  });
});

describe('settings', () => {
  const saved = { injectMode: 'auto', newline: 'return', port: 7373, startAtLogin: false };
  test('changes, as typed', () => {
    assert.ok(!differs({ ...saved }, '7373', saved));
    assert.ok(differs({ ...saved }, '7373 ', saved));
    assert.ok(differs({ ...saved, startAtLogin: true }, '7373', saved));
    assert.ok(differs({ ...saved, joinMessages: false }, '7373', saved));
    assert.ok(differs({ ...saved, voiceCommands: true }, '7373', saved));
    assert.ok(!differs({ ...saved }, '1', null), 'nothing loaded yet');
    const kept = { ...saved, historyDays: 30, historyMaxMessages: 10000, holdAfterSeconds: 60 };
    assert.ok(!differs({ ...kept }, '7373', kept));
    assert.ok(differs({ ...kept, historyDays: 7 }, '7373', kept));
    assert.ok(differs({ ...kept, holdAfterSeconds: 0 }, '7373', kept));
  });

  test('history and hold limits: whole numbers in range, the first wrong field named', () => {
    const ok = { 's-days': '30', 's-max': '10000', 's-hold': '0' };
    assert.equal(retentionProblem(ok), null);
    assert.deepEqual(retentionProblem({ ...ok, 's-days': '0' }), ['s-days', 'Keep the history for 1 to 3650 days.']);
    assert.equal(retentionProblem({ ...ok, 's-max': '9' })[0], 's-max');
    assert.equal(retentionProblem({ ...ok, 's-max': '' })[0], 's-max');
    assert.equal(retentionProblem({ ...ok, 's-hold': '86401' })[0], 's-hold');
    assert.equal(retentionProblem({ ...ok, 's-hold': '1.5' })[0], 's-hold');
  });

  test('the port: a number from 1024 to 65535', () => {
    assert.equal(portProblem('8123'), null);
    assert.equal(portProblem(' 8123 '), null);
    for (const bad of ['80', '65536', '', '12ab', '1e4']) assert.match(portProblem(bad), /from 1024 to 65535/, bad);
  });

  test('what saving says', () => {
    assert.equal(savedText(saved, saved), 'Saved.');
    assert.equal(savedText(saved, { ...saved, injectMode: 'type', port: 8123 }),
      'Saved. Applies from the next message. Port 8123 is used from the next start of SayType.');
    assert.equal(savedText(null, saved), 'Saved.');
    assert.equal(savedText(saved, { ...saved, voiceCommands: true }), 'Saved. Applies from the next message.');
    assert.equal(savedText(saved, { ...saved, historyDays: 7 }), 'Saved. History and hold limits apply from the next start of SayType.');
  });
});

describe('said and typed', () => {
  test('shown when they differ', () => {
    assert.equal(saidTyped({ text: 'hi' }), null, 'older relays send no typed');
    assert.equal(saidTyped({ text: 'hi', typed: 'hi' }), null);
    assert.equal(saidTyped({ text: 'ls press enter', typed: 'ls\n' }), 'Said “ls press enter”, typed “ls↵”.');
    assert.equal(saidTyped({ text: 'world', typed: ' world' }), 'Said “world”, typed “ world”.');
    assert.equal(saidTyped({ text: 'scratch that', typed: '', target: { app: 'XTerm', method: 'erased' } }),
      'Said “scratch that”: removed the previous message.');
  });
});

describe('paired phones', () => {
  test('a phone in words, the count, when to renew the code', async () => {
    const { phoneLine, phonesSummary, refreshIn } = await import('../../../../ui/desktop/phones-view.js');
    const now = Date.UTC(2026, 11, 2, 12, 0, 0);
    assert.equal(phoneLine({ pairedAt: now - 2 * 3600e3, lastSeen: now - 10e3 }, now), 'paired 2 h ago · last seen just now');
    assert.equal(phoneLine({ pairedAt: now - 5 * 60e3 }, now), 'paired 5 min ago · not used yet');
    assert.match(phonesSummary([]), /No phone is paired yet/);
    assert.equal(phonesSummary([{}]), '1 phone paired');
    assert.equal(phonesSummary([{}, {}]), '2 phones paired');
    assert.equal(refreshIn(now + 300e3, now), 295e3);
    assert.equal(refreshIn(now - 1, now), 1000, 'an expired code: at once (but not in a loop)');
  });
});

describe('diagnostics', () => {
  test('check names and the summary line', async () => {
    const { checkName, diagnosticsSummary } = await import('../../../../ui/desktop/diagnostics-view.js');
    assert.equal(checkName('mdns'), 'Discovery (mDNS)');
    assert.equal(checkName('new_check'), 'new check', 'an id the page does not know yet');
    const check = (ok) => ({ id: 'x', ok, summary: '' });
    assert.equal(diagnosticsSummary({ checks: [check(true), check(true)] }), 'All 2 checks passed.');
    assert.equal(diagnosticsSummary({ checks: [check(false), check(true)] }), '1 problem found; the fix is under it.');
    assert.equal(diagnosticsSummary({ checks: [check(false), check(false)] }), '2 problems found; the fix is under each.');
    assert.equal(diagnosticsSummary(null), '');
  });
});
