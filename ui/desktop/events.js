// Live events: the relay's server-sent events, read with fetch() because
// EventSource cannot send the Authorization header (and the token must not go in the
// URL). Reconnects with a growing wait; each (re)connection reloads everything, for
// whatever happened while nobody was listening.

import { bearer } from '../lib/api.js';
import { backoff, sleep } from '../lib/backoff.js';
import { readEvents } from '../lib/sse.js';
import { retryAfter401, session } from './session.js';
import { setLive } from './notes.js';

let eventsAbort = null;
let eventsRun = 0;
let handlers = { onEvent: () => {}, onOpen: () => {} };

export function stopEvents() {
  eventsRun += 1;
  eventsAbort?.abort();
  eventsAbort = null;
}

/** Follow the events: `onOpen()` at each (re)connection, `onEvent(event)` for each. */
export function startEvents(onEvent, onOpen) {
  handlers = { onEvent, onOpen };
  follow(eventsRun);
}

export function restartEvents() {
  stopEvents();
  follow(eventsRun);
}

async function follow(run) {
  // 0.5 s, 1 s, 2 s … up to 10 s, with jitter so windows do not stampede.
  const wait = backoff({ min: 500, max: 10000, jitter: 0.25 });
  const current = () => run === eventsRun && !session.expired;
  while (current()) {
    const abort = new AbortController();
    eventsAbort = abort;
    try {
      const used = session.token;
      const res = await fetch('/ui/api/events', {
        headers: bearer(used, { Accept: 'text/event-stream' }),
        cache: 'no-store',
        signal: abort.signal,
      });
      if (res.status === 401) {
        if (await retryAfter401(used)) continue;
        return;
      }
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      wait.reset();
      setLive('live', 'Live');
      handlers.onOpen();
      await readEvents(res.body.getReader(), (event) => {
        if (run === eventsRun) handlers.onEvent(event);
      });
    } catch {
      // Dropped (relay stopped, network) or aborted by us; see below.
    }
    if (!current()) return;
    setLive('offline', wait.attempts === 0 ? 'Reconnecting…' : 'SayType is not answering');
    await sleep(wait.next());
  }
}
