// Talking to the relay: the connection state, the outbox going out, following
// accepted messages until the desktop has typed them, and the list of desktops.
// Same origin, every call sealed with this phone's key (link.js); the decisions
// are in outbox.js.

import { sealedCall } from './link.js';
import { learnAddresses } from './roam.js';
import { request } from '../lib/api.js';
import { backoff } from '../lib/backoff.js';
import { coalesce } from '../lib/coalesce.js';
import { find, pending, saveMessages, state, update } from './state.js';
import { cancelOutcome, cancellable, postBody, postOutcome, followed, queuedNews, watched } from './outbox.js';
import { render, renderConnection, renderDevices, say } from './view.js';

const REQUEST_TIMEOUT_MS = 15000; // the relay waits up to 5 s for the desktop's ACK
const QUEUE_FULL_RETRY_MS = 5000;
const POLL_BATCH = 20; // at most this many status checks per round
const DEVICES_EVERY_MS = 15000;
const POLL_MIN_MS = 600;
/**
 * The connection line follows the relay within about 2 s: while the page is
 * visible and the relay answers, GET /phone/v1/info (unsealed: no key, no counter,
 * ~60 bytes, nothing stored by the relay) every 1.5 s, answered or not within
 * 1.2 s. When it does not answer, the checks back off (1 s … 10 s, like the
 * outbox's retries). Hidden pages do not check (battery). Cheaper than a long
 * poll for the relay, which then holds no connection per phone.
 */
const PROBE_EVERY_MS = 1500;
const PROBE_TIMEOUT_MS = 1200;

/** Waits between sends after a failure: 1 s … 10 s (a LAN relay: checking every 10 s costs nothing). */
export const retry = backoff({ min: 1000, max: 10000, jitter: 0.2 });
/** Waits between connection checks while the relay does not answer: 1 s … 10 s. */
const probeRetry = backoff({ min: 1000, max: 10000, jitter: 0.2 });
/** Waits between status checks while nothing changes: 0.6 s … 10 s. */
const poll = backoff({ min: POLL_MIN_MS, max: 10000, factor: 1.6 });

/** @returns {Promise<{status: number, data: any}>} status 0 = network error or timeout. */
const api = (method, path, body) => sealedCall(state.pairing, method, path, body, REQUEST_TIMEOUT_MS);

export function setConnection(connection) {
  const wasOffline = state.connection !== 'online';
  state.connection = connection;
  renderConnection();
  if (wasOffline !== (connection !== 'online')) renderDevices();
  // The relay is back: do not wait for the retry timer.
  if (connection === 'online' && wasOffline && pending().length) {
    retry.reset();
    flush();
  }
}

export function onUnauthorized() {
  if (state.unauthorized) return;
  state.unauthorized = true;
  say(`This phone is not paired with ${state.desktop || state.pairing?.desktop || 'your desktop'} any more. Pair it again with the QR code.`);
  render();
}

// ---------------------------------------------------------------------------
// The outbox: pending messages go out one at a time, oldest first, so they arrive in
// the order they were dictated.

let retryTimer = null;

const sendAll = coalesce(async () => {
  if (!state.pairing || state.unauthorized) return;
  clearTimeout(retryTimer);
  retryTimer = null;
  for (;;) {
    const unconfirmed = state.messages.find((m) => m.confirmCancel);
    if (unconfirmed) {
      if (!(await confirmCancel(unconfirmed.id))) return scheduleRetry();
      continue;
    }
    const next = pending()[0];
    if (!next) return;
    const outcome = await post(next.id);
    if (outcome === 'retry') return scheduleRetry();
    if (outcome === 'retry-later') return scheduleRetry(QUEUE_FULL_RETRY_MS);
    if (outcome === 'stop') return;
  }
});

/** Send what is pending now (or once more after the round under way). */
export function flush() {
  sendAll();
}

function scheduleRetry(atLeast = 0) {
  clearTimeout(retryTimer);
  const delay = Math.max(atLeast, retry.next());
  retryTimer = setTimeout(() => {
    retryTimer = null;
    flush();
  }, delay);
}

/** Send one pending message. @returns 'done' | 'retry' | 'retry-later' | 'stop' */
async function post(id) {
  const m = find(id);
  if (!m || m.status !== 'pending') return 'done';
  state.inFlight.add(id);
  const call = api('POST', '/transcription', postBody(m));
  // Render once the sealed request has left (its sealing and fetch run in the
  // microtask queued just before this one), not before: issue 14's send to screen.
  await Promise.resolve();
  // From now on the relay may have it, even if no answer comes back.
  if (!m.tried) {
    m.tried = true;
    saveMessages();
  }
  render();
  const res = await call;
  state.inFlight.delete(id);

  const outcome = postOutcome(m, res);
  if (outcome.accepted) retry.reset();
  setConnection(outcome.online ? 'online' : 'offline');
  update(id, outcome.patch);
  if (outcome.patch.status === 'queued') {
    // Paused or away? The list of desktops says, with the count the status line
    // shows (the last list may be older than the pause).
    await refreshDevices();
    const target = outcome.patch.target;
    say(queuedNews(target, state.devices?.find((d) => d.deviceId === target) || null));
  } else if (outcome.say) say(outcome.say);
  if (outcome.unauthorized) onUnauthorized();
  if (outcome.accepted) {
    schedulePoll(POLL_MIN_MS, true);
    refreshDevicesSoon();
  }
  return outcome.next;
}

// ---------------------------------------------------------------------------
// Cancel: a message not typed yet. One still in this phone's outbox is cancelled
// here; one the relay has (queued or held at the desktop) is cancelled there
// (sealed POST /transcription/{id}/cancel).

export async function cancelMessage(id) {
  const m = find(id);
  if (!m || !cancellable(m, state.inFlight.has(id))) return;
  if (m.status === 'pending') {
    // Never sent: it stops here. One that went out before without an answer may
    // have reached the relay: it is cancelled there too once the relay answers.
    update(id, { status: 'cancelled', note: null, confirmCancel: Boolean(m.tried) });
    say('Cancelled: it was not sent.');
    if (m.tried) flush();
    return;
  }
  const res = await api('POST', `/transcription/${encodeURIComponent(id)}/cancel`);
  if (res.status === 401) return onUnauthorized();
  setConnection(res.status === 0 ? 'offline' : 'online');
  await applyCancel(find(id) || m, res);
}

/** Cancel at the relay a message cancelled while unsent. @returns false: try later. */
async function confirmCancel(id) {
  const m = find(id);
  const res = await api('POST', `/transcription/${encodeURIComponent(id)}/cancel`);
  if (res.status === 0) return false;
  if (res.status === 401) {
    onUnauthorized();
    return false;
  }
  update(id, { confirmCancel: false });
  // 404: it never arrived; 200: now cancelled there too. 409: too late.
  if (res.status === 409) await applyCancel({ ...m, status: 'queued' }, res);
  return true;
}

async function applyCancel(m, res) {
  const outcome = cancelOutcome(m, res);
  if (outcome.patch) update(m.id, outcome.patch);
  if (outcome.follow) {
    // What became of it instead (typed, being typed), without waiting for a poll.
    const now = await api('GET', `/transcription/${encodeURIComponent(m.id)}`);
    const change = now.status === 200 ? followed(m, now) : null;
    if (change) update(m.id, change.patch);
  }
  if (outcome.say) say(outcome.say);
  refreshDevicesSoon();
}

// ---------------------------------------------------------------------------
// Following accepted messages until the desktop has typed them (GET /transcription/{id}).

let pollTimer = null;
let polling = false;

export function schedulePoll(delay, reset = false) {
  if (reset) poll.reset();
  clearTimeout(pollTimer);
  pollTimer = null;
  if (!state.messages.some((m) => watched(m))) return;
  pollTimer = setTimeout(pollNow, delay ?? poll.delay);
}

async function pollNow() {
  pollTimer = null;
  // Hidden pages do not poll (battery); becoming visible polls at once.
  if (polling || !state.pairing || state.unauthorized || document.hidden) return;
  polling = true;
  let changed = false;
  try {
    const batch = state.messages.filter((m) => watched(m)).slice(-POLL_BATCH);
    for (const m of batch) {
      const res = await api('GET', `/transcription/${encodeURIComponent(m.id)}`);
      if (res.status === 0) {
        setConnection('offline');
        break;
      }
      if (res.status === 401) {
        onUnauthorized();
        break;
      }
      setConnection('online');
      const change = followed(m, res);
      if (!change) continue;
      update(m.id, change.patch);
      changed = true;
      if (change.say) say(change.say);
    }
  } finally {
    polling = false;
  }
  if (changed) {
    poll.reset();
    // A message moved on: the desktop's waiting count (or pause) changed too.
    refreshDevicesSoon();
  } else poll.grow();
  schedulePoll();
}

// ---------------------------------------------------------------------------
// Devices (GET /devices): the picker, and a cheap "is the relay there?" check.

let devicesTimer = null;

export async function refreshDevices() {
  clearTimeout(devicesTimer);
  devicesTimer = null;
  if (!state.pairing || state.unauthorized) return;
  const res = await api('GET', '/devices');
  if (res.status === 0) setConnection('offline');
  else if (res.status === 401) onUnauthorized();
  else if (res.status === 200 && Array.isArray(res.data)) {
    state.devices = res.data;
    setConnection('online');
    renderDevices();
    // A desktop paused or resumed changes the notes under its messages too.
    render();
  }
  if (!document.hidden) {
    clearTimeout(devicesTimer);
    devicesTimer = setTimeout(refreshDevices, DEVICES_EVERY_MS);
  }
}

// After a send, the queued counts changed: refresh soon, but not on every message.
let devicesSoon = null;
function refreshDevicesSoon() {
  if (devicesSoon) return;
  devicesSoon = setTimeout(() => {
    devicesSoon = null;
    refreshDevices();
  }, 1500);
}

// ---------------------------------------------------------------------------
// The connection check (see PROBE_EVERY_MS).

let probeTimer = null;
let probing = false;

/** Check the connection after `delay` ms (now by default), and keep checking. */
export function probeSoon(delay = 0) {
  clearTimeout(probeTimer);
  probeTimer = setTimeout(probe, delay);
}

async function probe() {
  probeTimer = null;
  if (probing || !state.pairing || document.hidden) return;
  probing = true;
  let next;
  try {
    const res = await request('GET', '/phone/v1/info', { timeoutMs: PROBE_TIMEOUT_MS });
    if (res.status === 200) {
      const wasOnline = state.connection === 'online';
      probeRetry.reset();
      setConnection('online');
      // Back: what the desktops are doing may have changed meanwhile.
      if (!wasOnline) refreshDevices();
      learnAddresses();
      next = PROBE_EVERY_MS;
    } else {
      setConnection('offline');
      next = probeRetry.next();
    }
  } finally {
    probing = false;
  }
  if (!document.hidden && !probeTimer) probeTimer = setTimeout(probe, next);
}

/** Back online, or back to the page: check now rather than at the next timer. */
export function wakeUp() {
  if (document.hidden) return;
  retry.reset();
  probeRetry.reset();
  refreshDevices();
  flush();
  schedulePoll(0, true);
  probeSoon();
}
