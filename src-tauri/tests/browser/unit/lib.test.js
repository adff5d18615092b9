// The shared modules of both pages (ui/lib/), under plain node: no browser, no DOM.

import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { ApiError, answerError, bearer, request } from '../../../../ui/lib/api.js';
import { backoff } from '../../../../ui/lib/backoff.js';
import { coalesce, coalesceEach } from '../../../../ui/lib/coalesce.js';
import { parseEvent, readEvents, takeBlocks } from '../../../../ui/lib/sse.js';
import { ago, clockTime, duration, sameDay, shortTime } from '../../../../ui/lib/time.js';
import { fragmentCode, fragmentToken, looksLikeCode, readPairingInput } from '../../../../ui/lib/token.js';

describe('sse', () => {
  test('an event block: data lines joined, JSON parsed; comments and other fields ignored', () => {
    assert.deepEqual(parseEvent('data: {"type":"agent"}'), { type: 'agent' });
    assert.deepEqual(parseEvent(':keep-alive\nevent: x\nid: 3\ndata:{"type":\ndata: "history"}'), { type: 'history' });
    assert.equal(parseEvent(': only a comment'), null);
    assert.equal(parseEvent('data: not json'), null);
  });

  test('blocks end with a blank line (\\n, \\r\\n or \\r); the rest waits for more', () => {
    assert.deepEqual(takeBlocks('data: 1\n\ndata: 2\r\n\r\ndata: 3\r\rdata: 4\n'),
      { blocks: ['data: 1', 'data: 2', 'data: 3'], rest: 'data: 4\n' });
    assert.deepEqual(takeBlocks(''), { blocks: [], rest: '' });
  });

  test('a stream split anywhere, even inside a character, gives the same events', async () => {
    const bytes = new TextEncoder().encode(': hi\n\ndata: {"type":"message","id":"é1"}\n\ndata: {"type":"token"}\n\n');
    const chunks = [bytes.slice(0, 7), bytes.slice(7, 38), bytes.slice(38, 39), bytes.slice(39)];
    const reader = { read: async () => (chunks.length ? { value: chunks.shift(), done: false } : { done: true }) };
    const events = [];
    await readEvents(reader, (e) => events.push(e));
    assert.deepEqual(events, [{ type: 'message', id: 'é1' }, { type: 'token' }]);
  });
});

describe('backoff', () => {
  test('doubles from min up to max, spread by the jitter; reset starts again', () => {
    const low = backoff({ min: 500, max: 10000, jitter: 0.25, random: () => 0 });
    assert.deepEqual([1, 2, 3, 4, 5, 6, 7].map(() => low.next()), [375, 750, 1500, 3000, 6000, 7500, 7500]);
    assert.equal(low.attempts, 7);
    low.reset();
    assert.equal(low.attempts, 0);
    assert.equal(low.delay, 500);
    const high = backoff({ min: 1000, max: 10000, jitter: 0.2, random: () => 1 });
    assert.equal(Math.round(high.next()), 1200);
    assert.equal(high.delay, 2000);
  });

  test('grow without waiting, by any factor, up to max', () => {
    const poll = backoff({ min: 600, max: 10000, factor: 1.6 });
    poll.grow();
    assert.equal(poll.delay, 960);
    for (let i = 0; i < 20; i += 1) poll.grow();
    assert.equal(poll.delay, 10000);
  });
});

describe('coalesce', () => {
  test('calls during a run make one more run, never two at once', async () => {
    let runs = 0;
    let running = 0;
    let release;
    const run = coalesce(async () => {
      runs += 1;
      running += 1;
      assert.equal(running, 1);
      await new Promise((resolve) => {
        release = resolve;
      });
      running -= 1;
    });
    const first = run();
    const second = run();
    run();
    assert.equal(first, second, 'the run under way');
    release();
    await new Promise((resolve) => setImmediate(resolve));
    release();
    await first;
    assert.equal(runs, 2);
  });

  test('per key: keys run side by side; an error ends the run', async () => {
    const seen = [];
    const run = coalesceEach(async (key) => {
      seen.push(key);
      if (key === 'bad') throw new Error('no');
    });
    await Promise.all([run('a'), run('b')]);
    await assert.rejects(run('bad'), /no/);
    await run('bad').catch(() => {});
    assert.deepEqual(seen, ['a', 'b', 'bad', 'bad']);
  });
});

describe('time', () => {
  const now = new Date(2026, 10, 25, 15, 4, 5).getTime();
  test('today: the clock; before: the date too', () => {
    const earlier = new Date(2026, 10, 25, 9, 0, 0).getTime();
    const yesterday = new Date(2026, 10, 24, 23, 0, 0).getTime();
    assert.ok(sameDay(new Date(earlier), new Date(now)));
    assert.equal(shortTime(earlier, now), new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit', second: '2-digit' }).format(earlier));
    assert.equal(clockTime(earlier, now), new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' }).format(earlier));
    assert.notEqual(shortTime(yesterday, now), shortTime(yesterday, yesterday));
    assert.ok(clockTime(yesterday, now).startsWith(new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' }).format(yesterday)));
  });

  test('ago and durations in words', () => {
    assert.equal(ago(now - 10000, now), 'just now');
    assert.equal(ago(now + 5000, now), 'just now');
    assert.equal(ago(now - 5 * 60000, now), '5 min ago');
    assert.equal(ago(now - 2 * 3600000, now), '2 h ago');
    assert.equal(ago(now - 3 * 86400000, now), shortTime(now - 3 * 86400000, now));
    assert.deepEqual([-3, 4.4, 1234, 12345, 180000, 7200000].map(duration), ['0 ms', '4 ms', '1.2 s', '12 s', '3 min', '2 h']);
  });
});

describe('token', () => {
  test('the token of a fragment', () => {
    assert.equal(fragmentToken('#token=abc'), 'abc');
    assert.equal(fragmentToken('#x=1&token=a%2Bb'), 'a+b');
    assert.equal(fragmentToken('#other'), null);
    assert.equal(fragmentToken(''), null);
  });

  test('a pasted pairing link, a bare token, or neither', () => {
    const here = 'http://192.168.1.5:7373/';
    const token = 'AbCdEfGhIjKlMnOpQrSt_-12';
    assert.deepEqual(readPairingInput(`  http://192.168.1.5:7373/#pair=${token} `, here), { code: token });
    assert.deepEqual(readPairingInput(`http://desk.local:7373/#pair=${token}`, here), { go: `http://desk.local:7373/#pair=${token}` });
    assert.deepEqual(readPairingInput(token, here), { code: token });
    assert.equal(fragmentCode(`#pair=${token}`), token);
    assert.equal(fragmentCode('#token=abc'), null);
    assert.equal(readPairingInput('hello', here), null);
    assert.equal(readPairingInput('http://192.168.1.5:7373/', here), null);
    assert.ok(looksLikeCode(token));
    assert.ok(!looksLikeCode('short'));
    assert.ok(!looksLikeCode('has spaces in it, sixteen+'));
  });
});

describe('api', () => {
  const realFetch = globalThis.fetch;
  afterEach(() => {
    globalThis.fetch = realFetch;
  });

  test('the bearer token and JSON body go out; the JSON answer comes back', async () => {
    let seen;
    globalThis.fetch = async (path, init) => {
      seen = { path, init };
      return new Response('{"id":"1"}', { status: 200 });
    };
    assert.deepEqual(await request('POST', '/transcription', { token: 't0k', body: { text: 'hi' } }),
      { status: 200, ok: true, data: { id: '1' } });
    assert.equal(seen.path, '/transcription');
    assert.deepEqual(seen.init.headers, { Authorization: 'Bearer t0k', 'Content-Type': 'application/json' });
    assert.equal(seen.init.body, '{"text":"hi"}');
    assert.equal(seen.init.cache, 'no-store');
    assert.deepEqual(bearer('x', { Accept: 'text/event-stream' }), { Authorization: 'Bearer x', Accept: 'text/event-stream' });
  });

  test('no answer is status 0; 204 and non-JSON answers have no data', async () => {
    globalThis.fetch = async () => {
      throw new TypeError('Failed to fetch');
    };
    assert.deepEqual(await request('GET', '/devices', { token: 't' }), { status: 0, ok: false, data: null });
    globalThis.fetch = async () => new Response(null, { status: 204 });
    assert.deepEqual(await request('DELETE', '/x', { token: 't' }), { status: 204, ok: true, data: null });
    globalThis.fetch = async () => new Response('<html>portal</html>', { status: 200 });
    assert.deepEqual(await request('GET', '/devices', { token: 't' }), { status: 200, ok: true, data: null });
  });

  test('a call that takes too long is given up', async () => {
    globalThis.fetch = (path, init) => new Promise((resolve, reject) => {
      init.signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
    });
    assert.equal((await request('GET', '/devices', { token: 't', timeoutMs: 20 })).status, 0);
  });

  test('errors carry the relay code and message, else the HTTP status', () => {
    const err = answerError({ status: 409, data: { error: { code: 'ID_CONFLICT', message: 'id reused' } } });
    assert.ok(err instanceof ApiError);
    assert.deepEqual([err.status, err.code, err.message], [409, 'ID_CONFLICT', 'id reused']);
    const bare = answerError({ status: 502, data: null });
    assert.deepEqual([bare.code, bare.message], ['HTTP_502', 'HTTP 502']);
  });
});
