// The outbox's decisions: message records, what each answer of the relay means for
// a message, and what the page says about it. Pure (no DOM): unit-tested; the page
// acts on them in relay.js.
//
// A message is never lost and never typed twice: every message gets its own id here,
// waits in the outbox until the relay has accepted it, and is sent again with the
// SAME id after a network error, so the relay can recognise a repeat (PROTOCOL.md §3:
// same id, same text = no second delivery).

export const HISTORY_KEEP = 50; // settled messages kept; unsent ones are never dropped
// "delivered" usually turns into "typed" within a second; desktops that never report
// back stay "delivered", so stop asking after a while.
const DELIVERED_WATCH_MS = 2 * 60 * 1000;
const ACCEPTED = ['queued', 'delivered', 'injected', 'failed'];

export const STATUS_LABEL = {
  pending: 'Waiting to send',
  sending: 'Sending…',
  queued: 'Queued',
  // Queued at the desktop, but it waited longer than the hold limit: not typed
  // until the user says so there (or cancels it here).
  held: 'Held',
  delivered: 'Delivered',
  injected: 'Typed',
  // Injected by a desktop in record-only mode (`--inject none`): nothing was typed.
  recorded: 'Recorded',
  failed: 'Failed',
  rejected: 'Not sent',
  lost: 'Unknown',
  cancelled: 'Cancelled',
};

/** The relay's `error` of a message this phone cancelled (docs/protocol-extensions.md). */
export const CANCELLED_AT_RELAY = 'cancelled from the phone';

/**
 * A new id. crypto.randomUUID exists only in secure contexts (https, localhost); a
 * phone on http://192.168.x.y is not one, so fall back to getRandomValues (available
 * everywhere) and format a UUID v4 by hand.
 */
export function newId(c = crypto) {
  if (typeof c.randomUUID === 'function') return c.randomUUID();
  const b = c.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = Array.from(b, (v) => v.toString(16).padStart(2, '0')).join('');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/**
 * A message as it enters the outbox. `device`: the chosen desktop ('' = the one
 * that serves this page, then no deviceId is sent); `fallbackTarget`: its name.
 */
export function newMessage(text, device, fallbackTarget, now = Date.now()) {
  return {
    id: newId(),
    text,
    device: device || null,
    target: device || fallbackTarget,
    status: 'pending',
    error: null,
    note: null,
    createdAt: now,
    changedAt: now,
  };
}

/** Only well-formed records survive a reload (the storage may hold anything). */
export function sanitize(list) {
  return Array.isArray(list) ? list.filter((m) => m && typeof m.id === 'string' && typeof m.text === 'string') : [];
}

export const isPending = (m) => m.status === 'pending';

/** The last `keep` messages, but never one that was not sent yet. */
export function trimmed(messages, keep = HISTORY_KEEP) {
  let extra = messages.length - keep;
  if (extra <= 0) return messages;
  return messages.filter((m) => {
    if (extra > 0 && !isPending(m)) {
      extra -= 1;
      return false;
    }
    return true;
  });
}

/** The body of POST /transcription for a message. */
export function postBody(m) {
  const body = { text: m.text, id: m.id };
  if (m.device) body.deviceId = m.device;
  return body;
}

/** End a message from the relay with exactly one full stop. */
export function sentence(text) {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

/** The relay's error message of an answer, as a sentence. */
export function errorMessage(res) {
  const message = res.data && res.data.error && res.data.error.message;
  if (message) return sentence(message.charAt(0).toUpperCase() + message.slice(1));
  return `The desktop answered with an error (HTTP ${res.status}).`;
}

/**
 * What an answer to POST /transcription (`res`: {status, data}, status 0 = no
 * answer) means for message `m`:
 * - next: 'done' (go on with the next one), 'retry' (soon, same id),
 *   'retry-later' (the relay's queue is full), 'stop' (not paired any more);
 * - online: whether the relay answered; patch: the change to `m`; say: the news,
 *   or null; accepted / unauthorized: what else follows.
 */
export function postOutcome(m, res) {
  if (res.status === 200 && res.data && typeof res.data.id === 'string') {
    // A resend whose first answer was lost gets the message's current status, which
    // can already be "injected" or "failed".
    const status = ACCEPTED.includes(res.data.status) ? res.data.status : 'queued';
    const target = res.data.deviceId || m.device;
    return {
      next: 'done',
      online: true,
      accepted: true,
      patch: { status, target, note: null, error: null },
      say: {
        queued: queuedNews(target, null),
        delivered: `Delivered to ${target}.`,
        injected: `Typed on ${target}.`,
        failed: `${target} could not type it.`,
      }[status],
    };
  }
  if (res.status === 0 || (res.status >= 200 && res.status < 300)) {
    // Unreachable (Wi-Fi dropped, desktop asleep, relay stopped) or an answer that is
    // not the relay's: keep it, try again with the same id.
    return {
      next: 'retry',
      online: false,
      patch: { note: "Can't reach your desktop right now. It will be sent automatically when it's back. If this lasts, open SayType on the desktop and run Diagnostics." },
      say: m.note ? null : 'Not sent yet: it goes out by itself when your desktop is back.',
    };
  }
  if (res.status === 401) {
    return { next: 'stop', online: true, unauthorized: true, patch: { note: 'Waiting until this phone is paired again.' }, say: null };
  }
  if (res.status === 429) {
    return { next: 'retry-later', online: true, patch: { note: `${errorMessage(res)} It will be sent again shortly.` }, say: null };
  }
  if (res.status >= 500 || res.status === 408) {
    // 503 SHUTTING_DOWN (the desktop is restarting) and other server trouble: retry.
    return { next: 'retry', online: true, patch: { note: `${errorMessage(res)} Trying again shortly.` }, say: null };
  }
  // Any other 4xx is final: sending it again would get the same answer.
  return {
    next: 'done',
    online: true,
    patch: { status: 'rejected', error: errorMessage(res), note: null },
    say: `Not sent: ${errorMessage(res)}`,
  };
}

/**
 * The status a message shows: "sending" while its POST is under way, "recorded"
 * for one the desktop only recorded (the relay says `method: "recorded"`).
 */
export function shownStatus(m, sending) {
  if (m.status === 'pending' && sending) return 'sending';
  if (m.status === 'queued' && m.held) return 'held';
  if (m.status === 'injected' && m.method === 'recorded') return 'recorded';
  return m.status;
}

/** Whether an accepted message is still followed (GET /transcription/{id}). */
export function watched(m, now = Date.now()) {
  if (m.status === 'queued') return true;
  const recent = now - (m.changedAt || 0) < DELIVERED_WATCH_MS;
  // "failed" straight from a resend's answer: fetch the reason once.
  return recent && (m.status === 'delivered' || (m.status === 'failed' && !m.error));
}

/**
 * What an answer to GET /transcription/{id} means for message `m` (after the
 * status 0 and 401 cases, which end the round): { patch, say } when it changed,
 * else null.
 */
export function followed(m, res) {
  if (res.status === 404) {
    // The relay forgot it (its data was reset): nothing more will happen to it.
    return { patch: { status: 'lost', error: 'Your desktop no longer knows this message.' }, say: null };
  }
  const r = res.data;
  if (res.status !== 200 || !r || !r.status) return null;
  // What the relay said first about how it was handled stays: a later change of
  // the desktop's mode does not relabel a message.
  const method = m.method || (r.status === 'injected' && r.method === 'recorded' ? 'recorded' : null);
  // Cancelled (from this tab or another): the relay keeps it as failed.
  const status = r.status === 'failed' && r.error === CANCELLED_AT_RELAY ? 'cancelled' : r.status;
  const held = status === 'queued' && r.held === true;
  if (status === m.status && (r.error || null) === (m.error || null) && method === (m.method || null) && held === Boolean(m.held)) return null;
  const patch = { status, error: r.error || null, target: r.deviceId || m.target };
  if (held !== Boolean(m.held)) patch.held = held;
  if (method) patch.method = method;
  if (held && !m.held) return { patch, say: `Held on ${r.deviceId}: it waited too long, so it is typed only when you choose Type now there.` };
  return {
    patch,
    say: {
      injected: method === 'recorded' ? `Recorded on ${r.deviceId} (record-only mode: nothing was typed).` : `Typed on ${r.deviceId}.`,
      delivered: `Delivered to ${r.deviceId}.`,
      failed: `${r.deviceId} could not type it: ${sentence(r.error || 'unknown reason')}`,
    }[r.status] || null,
  };
}

/**
 * The note under a message. `paired`, `unauthorized`: the phone's pairing;
 * `sending`: its POST is under way; `paused`: names of the desktops paused by their
 * user (GET /devices).
 */
export function describe(m, { paired, unauthorized, sending, paused = [] }) {
  if (m.status === 'pending') {
    if (!paired) return 'Will be sent once this phone is paired.';
    if (unauthorized) return 'Waiting until this phone is paired again.';
    return m.note || (sending ? '' : 'Will be sent as soon as your desktop is reachable.');
  }
  if (m.status === 'queued' && m.held) return `Held on ${m.target || 'your desktop'}: it waited too long to be typed blindly. Choose Type now there, or cancel it here.`;
  if (m.status === 'queued' && paused.includes(m.target)) return `Typing is paused on ${m.target}: it gets it when typing is resumed there.`;
  if (m.status === 'queued') return `${m.target || 'Your desktop'} gets it as soon as it is online.`;
  if (m.status === 'injected' && m.method === 'recorded') return `Recorded on ${m.target || 'your desktop'}, not typed: it is in record-only mode.`;
  if (m.status === 'failed') return `${m.target || 'Your desktop'} could not type it: ${sentence(m.error || 'unknown reason')}`;
  if (m.status === 'rejected' || m.status === 'lost') return m.error || '';
  if (m.status === 'cancelled') return 'Cancelled: it will not be typed.';
  return '';
}

/**
 * Whether a message can still be cancelled: not typed yet, in this phone's outbox
 * (and not on its way out right now) or queued at the desktop (held or not).
 */
export function cancellable(m, sending) {
  return (m.status === 'pending' && !sending) || m.status === 'queued';
}

/**
 * What an answer to the sealed POST /transcription/{id}/cancel means for `m`:
 * { patch, say, follow } (follow: ask the relay what became of it instead).
 */
export function cancelOutcome(m, res) {
  const target = m.target || 'your desktop';
  if (res.status === 200) return { patch: { status: 'cancelled', held: false, error: null, note: null }, say: `Cancelled: it will not be typed on ${target}.`, follow: false };
  if (res.status === 409) return { patch: null, say: `Too late to cancel: ${target} already has it (typed, or being typed).`, follow: true };
  if (res.status === 404) return { patch: { status: 'lost', error: 'Your desktop no longer knows this message.' }, say: null, follow: false };
  if (res.status === 0) return { patch: null, say: `Not cancelled: ${target} cannot be reached right now. Try again.`, follow: false };
  return { patch: null, say: `Not cancelled: ${errorMessage(res)}`, follow: true };
}

/**
 * The line next to Send when a message was queued for `device` (as GET /devices
 * lists it, or null): a paused desktop is paused, with its waiting count, in the
 * status line's words; otherwise it gets the message once it is back online.
 */
export function queuedNews(target, device) {
  if (device?.paused) {
    const waiting = device.queued ? ` · ${device.queued} waiting` : '';
    return `Paused on ${target}${waiting}: typed once typing is resumed there.`;
  }
  return `Queued: ${target} gets it as soon as it is back online.`;
}

/** "History cleared. 2 unsent message(s) kept." */
export function clearedText(kept) {
  return kept ? `History cleared. ${kept} unsent message(s) kept.` : 'History cleared.';
}
