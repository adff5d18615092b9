// SayType phone page: dictate with the phone keyboard's microphone, tap Send, and the
// desktop types it. Plain JavaScript, no framework, no external resources (the relay's
// Content-Security-Policy allows only this origin, and no inline code or styles).
//
// What the page promises the user:
// - pairing from the QR code link `/#token=…`: the token is kept in localStorage and
//   taken out of the address bar at once, so it is not shown or shared by accident;
// - a message is never lost and never typed twice: every message gets its own id
//   here, waits in an outbox (localStorage) until the relay has accepted it, and is
//   sent again with the SAME id after a network error, so the relay can recognise a
//   repeat (PROTOCOL.md §3: same id, same text = no second delivery);
// - each message shows its fate: sending, waiting, queued, delivered, typed, failed.

const KEYS = {
  token: 'saytype.token',
  messages: 'saytype.messages',
  device: 'saytype.device',
  draft: 'saytype.draft',
};

const MAX_CHARS = 10000; // the relay refuses longer texts (counted in characters)
const COUNTER_FROM = 9000; // show the counter only when it matters
const HISTORY_KEEP = 50; // settled messages kept; unsent ones are never dropped
const REQUEST_TIMEOUT_MS = 15000; // the relay waits up to 5 s for the desktop's ACK
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 10000; // a LAN relay: checking every 10 s costs nothing
const QUEUE_FULL_RETRY_MS = 5000;
const POLL_MIN_MS = 600;
const POLL_MAX_MS = 10000;
const POLL_BATCH = 20; // at most this many status checks per round
const DEVICES_EVERY_MS = 15000;
// "delivered" usually turns into "typed" within a second; desktops that never report
// back stay "delivered", so stop asking after a while.
const DELIVERED_WATCH_MS = 2 * 60 * 1000;

const $ = (id) => document.getElementById(id);
const el = {
  conn: $('conn'),
  connText: $('conn-text'),
  pair: $('pair'),
  pairLink: $('pair-link'),
  pairGo: $('pair-go'),
  pairError: $('pair-error'),
  expired: $('expired'),
  compose: $('compose'),
  text: $('text'),
  counter: $('counter'),
  history: $('history'),
  list: $('list'),
  clear: $('clear'),
  forget: $('forget'),
  sendbar: $('sendbar'),
  device: $('device'),
  send: $('send'),
  announce: $('announce'),
};

// ---------------------------------------------------------------------------
// Storage. localStorage can be unavailable or full (private browsing): the page
// then still works for this visit, it just cannot remember.

function load(key, fallback) {
  try {
    const raw = localStorage.getItem(key);
    return raw === null ? fallback : JSON.parse(raw);
  } catch {
    return fallback;
  }
}

function save(key, value) {
  try {
    if (value === null || value === undefined) localStorage.removeItem(key);
    else localStorage.setItem(key, JSON.stringify(value));
  } catch (err) {
    console.warn('SayType: could not save', key, err);
  }
}

// ---------------------------------------------------------------------------
// State.

/** @type {string|null} */
let token = load(KEYS.token, null);
/** Oldest first. Entries: {id, text, device, target, status, error, note, createdAt, changedAt}. */
let messages = sanitize(load(KEYS.messages, []));
/** What GET /devices said last, or null before the first answer. */
let devices = null;
/** The relay said 401: the stored token is no longer valid. */
let unauthorized = false;
/** 'checking' | 'online' | 'offline' */
let connection = 'checking';
/** Ids whose POST is under way (shown as "Sending…"). */
const inFlight = new Set();

function sanitize(list) {
  return Array.isArray(list) ? list.filter((m) => m && typeof m.id === 'string' && typeof m.text === 'string') : [];
}

function saveMessages() {
  save(KEYS.messages, messages);
}

function find(id) {
  return messages.find((m) => m.id === id);
}

/** Change one message, keep it on disk, show it. */
function update(id, patch) {
  const m = find(id);
  if (!m) return;
  if (patch.status && patch.status !== m.status) patch.changedAt = Date.now();
  Object.assign(m, patch);
  saveMessages();
  render();
}

const pending = () => messages.filter((m) => m.status === 'pending');

// Keep the last HISTORY_KEEP messages, but never drop one that was not sent yet.
function trimHistory() {
  let extra = messages.length - HISTORY_KEEP;
  if (extra <= 0) return;
  messages = messages.filter((m) => {
    if (extra > 0 && m.status !== 'pending') {
      extra -= 1;
      return false;
    }
    return true;
  });
}

// ---------------------------------------------------------------------------
// Ids. crypto.randomUUID exists only in secure contexts (https, localhost); a phone
// on http://192.168.x.y is not one, so fall back to getRandomValues (available
// everywhere) and format a UUID v4 by hand.

function newId() {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// ---------------------------------------------------------------------------
// Text. The relay refuses control characters other than tab and newline; pasted
// text can carry some, and a refusal would lose the user's words, so drop them here.

function cleanText(raw) {
  return raw.replace(/\r\n?/g, '\n').replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '');
}

// The relay counts characters (code points), not UTF-16 units: an emoji is one.
function countChars(text) {
  let n = 0;
  for (const _ of text) n += 1;
  return n;
}

// ---------------------------------------------------------------------------
// Pairing.

/** Take `#token=…` out of the address (so it is not visible or shared) and keep it. */
function takeTokenFromAddress() {
  if (!location.hash) return;
  const params = new URLSearchParams(location.hash.slice(1));
  const fresh = params.get('token');
  if (fresh === null) return;
  history.replaceState(history.state, '', location.pathname + location.search);
  if (fresh.trim()) setToken(fresh.trim());
}

function setToken(fresh) {
  token = fresh;
  save(KEYS.token, fresh);
  unauthorized = false;
  connection = 'checking';
  retryDelay = RETRY_MIN_MS;
  render();
  showCompose();
  refreshDevices();
  flush();
  schedulePoll(0);
}

function forgetToken() {
  token = null;
  save(KEYS.token, null);
  unauthorized = false;
  devices = null;
  render();
}

function onUnauthorized() {
  if (unauthorized) return;
  unauthorized = true;
  say('Your desktop did not accept this phone. Pair it again with the QR code.');
  render();
}

// "Got the link another way? Paste it here": accepts the whole link, or the token.
function pairFromInput() {
  const raw = el.pairLink.value.trim();
  el.pairError.hidden = true;
  let fresh = null;
  try {
    const url = new URL(raw, location.href);
    fresh = new URLSearchParams(url.hash.slice(1)).get('token');
    if (fresh && url.origin !== location.origin) {
      // A link to another address (another desktop, or this one by another name):
      // go there, the token belongs to that origin.
      location.href = url.href;
      return;
    }
  } catch {
    // not a URL: maybe the bare token
  }
  if (!fresh && /^[A-Za-z0-9._~-]{16,}$/.test(raw)) fresh = raw;
  if (!fresh) {
    el.pairError.textContent = 'That does not look like a SayType pairing link. It looks like http://…/#token=…';
    el.pairError.hidden = false;
    return;
  }
  el.pairLink.value = '';
  setToken(fresh);
}

// ---------------------------------------------------------------------------
// Talking to the relay. Same origin, token in the Authorization header.

/** @returns {Promise<{status: number, data: any}>} status 0 = network error or timeout. */
async function api(method, path, body) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), REQUEST_TIMEOUT_MS);
  try {
    const headers = { Authorization: `Bearer ${token}` };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      signal: abort.signal,
    });
    let data = null;
    try {
      data = await res.json();
    } catch {
      // not JSON (a captive portal, a proxy): handled by the callers
    }
    return { status: res.status, data };
  } catch {
    return { status: 0, data: null };
  } finally {
    clearTimeout(timer);
  }
}

/** End a message from the relay with exactly one full stop. */
function sentence(text) {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

function errorMessage(res) {
  const message = res.data && res.data.error && res.data.error.message;
  if (message) return sentence(message.charAt(0).toUpperCase() + message.slice(1));
  return `The desktop answered with an error (HTTP ${res.status}).`;
}

function setConnection(state) {
  const wasOffline = connection !== 'online';
  connection = state;
  renderConnection();
  if (wasOffline !== (state !== 'online')) renderDevices();
  // The relay is back: do not wait for the retry timer.
  if (state === 'online' && wasOffline && pending().length) {
    retryDelay = RETRY_MIN_MS;
    flush();
  }
}

// ---------------------------------------------------------------------------
// The outbox: pending messages go out one at a time, oldest first, so they arrive in
// the order they were dictated.

let flushing = false;
let flushAgain = false;
let retryTimer = null;
let retryDelay = RETRY_MIN_MS;

async function flush() {
  if (!token || unauthorized) return;
  if (flushing) {
    flushAgain = true;
    return;
  }
  flushing = true;
  clearTimeout(retryTimer);
  retryTimer = null;
  try {
    for (;;) {
      const next = pending()[0];
      if (!next) break;
      const outcome = await post(next.id);
      if (outcome === 'retry') {
        scheduleRetry();
        break;
      }
      if (outcome === 'retry-later') {
        scheduleRetry(QUEUE_FULL_RETRY_MS);
        break;
      }
      if (outcome === 'stop') break;
    }
  } finally {
    flushing = false;
  }
  if (flushAgain) {
    flushAgain = false;
    flush();
  }
}

function scheduleRetry(atLeast = 0) {
  clearTimeout(retryTimer);
  const delay = Math.max(atLeast, retryDelay * (0.8 + Math.random() * 0.4));
  retryDelay = Math.min(retryDelay * 2, RETRY_MAX_MS);
  retryTimer = setTimeout(() => {
    retryTimer = null;
    flush();
  }, delay);
}

/** Send one pending message. @returns 'done' | 'retry' | 'retry-later' | 'stop' */
async function post(id) {
  const m = find(id);
  if (!m || m.status !== 'pending') return 'done';
  const body = { text: m.text, id: m.id };
  if (m.device) body.deviceId = m.device;
  inFlight.add(id);
  render();
  const res = await api('POST', '/transcription', body);
  inFlight.delete(id);

  if (res.status === 200 && res.data && typeof res.data.id === 'string') {
    retryDelay = RETRY_MIN_MS;
    setConnection('online');
    // A resend whose first answer was lost gets the message's current status, which
    // can already be "injected" or "failed".
    const status = ['queued', 'delivered', 'injected', 'failed'].includes(res.data.status) ? res.data.status : 'queued';
    const target = res.data.deviceId || m.device;
    update(id, { status, target, note: null, error: null });
    say({
      queued: `Queued: ${target} gets it as soon as it is back online.`,
      delivered: `Delivered to ${target}.`,
      injected: `Typed on ${target}.`,
      failed: `${target} could not type it.`,
    }[status]);
    schedulePoll(POLL_MIN_MS, true);
    refreshDevicesSoon();
    return 'done';
  }
  if (res.status === 0 || (res.status >= 200 && res.status < 300)) {
    // Unreachable (Wi-Fi dropped, desktop asleep, relay stopped) or an answer that is
    // not the relay's: keep it, try again with the same id.
    const firstFailure = !m.note;
    setConnection('offline');
    update(id, { note: "Can't reach your desktop right now. It will be sent automatically when it's back." });
    if (firstFailure) say('Not sent yet: it goes out by itself when your desktop is back.');
    return 'retry';
  }
  setConnection('online');
  if (res.status === 401) {
    update(id, { note: 'Waiting until this phone is paired again.' });
    onUnauthorized();
    return 'stop';
  }
  if (res.status === 429) {
    update(id, { note: `${errorMessage(res)} It will be sent again shortly.` });
    return 'retry-later';
  }
  if (res.status >= 500 || res.status === 408) {
    // 503 SHUTTING_DOWN (the desktop is restarting) and other server trouble: retry.
    update(id, { note: `${errorMessage(res)} Trying again shortly.` });
    return 'retry';
  }
  // Any other 4xx is final: sending it again would get the same answer.
  update(id, { status: 'rejected', error: errorMessage(res), note: null });
  say(`Not sent: ${errorMessage(res)}`);
  return 'done';
}

// ---------------------------------------------------------------------------
// Following accepted messages until the desktop has typed them (GET /transcription/{id}).

let pollTimer = null;
let pollDelay = POLL_MIN_MS;
let polling = false;

function watched(m) {
  if (m.status === 'queued') return true;
  const recent = Date.now() - (m.changedAt || 0) < DELIVERED_WATCH_MS;
  // "failed" straight from a resend's answer: fetch the reason once.
  return recent && (m.status === 'delivered' || (m.status === 'failed' && !m.error));
}

function schedulePoll(delay, reset = false) {
  if (reset) pollDelay = POLL_MIN_MS;
  clearTimeout(pollTimer);
  pollTimer = null;
  if (!messages.some(watched)) return;
  pollTimer = setTimeout(pollNow, delay ?? pollDelay);
}

async function pollNow() {
  pollTimer = null;
  // Hidden pages do not poll (battery); becoming visible polls at once.
  if (polling || !token || unauthorized || document.hidden) return;
  polling = true;
  let changed = false;
  try {
    const batch = messages.filter(watched).slice(-POLL_BATCH);
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
      if (res.status === 404) {
        // The relay forgot it (its data was reset): nothing more will happen to it.
        update(m.id, { status: 'lost', error: 'Your desktop no longer knows this message.' });
        changed = true;
        continue;
      }
      const r = res.data;
      if (res.status !== 200 || !r || !r.status) continue;
      if (r.status !== m.status || (r.error || null) !== (m.error || null)) {
        update(m.id, { status: r.status, error: r.error || null, target: r.deviceId || m.target });
        changed = true;
        if (r.status === 'injected') say(`Typed on ${r.deviceId}.`);
        else if (r.status === 'delivered') say(`Delivered to ${r.deviceId}.`);
        else if (r.status === 'failed') say(`${r.deviceId} could not type it: ${sentence(r.error || 'unknown reason')}`);
      }
    }
  } finally {
    polling = false;
  }
  pollDelay = changed ? POLL_MIN_MS : Math.min(pollDelay * 1.6, POLL_MAX_MS);
  schedulePoll();
}

// ---------------------------------------------------------------------------
// Devices (GET /devices): the picker, and a cheap "is the relay there?" check.

let devicesTimer = null;

async function refreshDevices() {
  clearTimeout(devicesTimer);
  devicesTimer = null;
  if (!token || unauthorized) return;
  const res = await api('GET', '/devices');
  if (res.status === 0) setConnection('offline');
  else if (res.status === 401) onUnauthorized();
  else if (res.status === 200 && Array.isArray(res.data)) {
    devices = res.data;
    setConnection('online');
    renderDevices();
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
// Sending.

function send() {
  const text = cleanText(el.text.value);
  if (!canSend(text)) return;
  const now = Date.now();
  messages.push({
    id: newId(),
    text,
    device: el.device.value || null, // '' = the desktop that serves this page
    target: el.device.value || defaultDeviceId(),
    status: 'pending',
    error: null,
    note: null,
    createdAt: now,
    changedAt: now,
  });
  trimHistory();
  saveMessages();
  el.text.value = '';
  save(KEYS.draft, null);
  updateComposer();
  render();
  // Keep the keyboard up for the next sentence.
  el.text.focus();
  retryDelay = RETRY_MIN_MS;
  flush();
}

function canSend(text) {
  if (!token) return false;
  const n = countChars(text);
  return text.trim().length > 0 && n <= MAX_CHARS;
}

function defaultDeviceId() {
  const d = devices && devices.find((x) => x.default);
  return d ? d.deviceId : null;
}

// ---------------------------------------------------------------------------
// Rendering.

const STATUS_LABEL = {
  pending: 'Waiting to send',
  sending: 'Sending…',
  queued: 'Queued',
  delivered: 'Delivered',
  injected: 'Typed',
  failed: 'Failed',
  rejected: 'Not sent',
  lost: 'Unknown',
};

function render() {
  const paired = Boolean(token);
  el.pair.hidden = paired;
  el.expired.hidden = !(paired && unauthorized);
  el.compose.hidden = !paired;
  el.sendbar.hidden = !paired;
  el.forget.hidden = !paired;
  el.history.hidden = messages.length === 0;
  renderConnection();
  renderList();
  updateComposer();
}

function renderConnection() {
  let state = connection;
  let text = { checking: 'Connecting…', online: 'Connected', offline: 'Not connected' }[connection];
  if (!token) {
    state = 'unpaired';
    text = 'Not paired';
  } else if (unauthorized) {
    state = 'unauthorized';
    text = 'Pairing expired';
  }
  const waiting = pending().length;
  if (waiting && state !== 'online') text += ` · ${waiting} waiting`;
  el.conn.dataset.state = state;
  if (el.connText.textContent !== text) el.connText.textContent = text;
}

function deviceLabel(d) {
  // What the relay said last is stale once it cannot be reached: name only.
  if (connection !== 'online') return d.deviceId;
  const parts = [d.online ? 'online' : 'offline'];
  if (d.queued) parts.push(`${d.queued} waiting`);
  return `${d.deviceId} · ${parts.join(', ')}`;
}

function renderDevices() {
  const chosen = load(KEYS.device, '');
  const options = [];
  if (!devices) {
    options.push(['', 'Your desktop']);
    if (chosen) options.push([chosen, chosen]);
  } else {
    // The default device (the desktop serving this page) first: no deviceId is sent
    // for it, so it stays right even if that desktop is renamed.
    const sorted = [...devices].sort((a, b) => (b.default ? 1 : 0) - (a.default ? 1 : 0) || a.deviceId.localeCompare(b.deviceId));
    for (const d of sorted) options.push([d.default ? '' : d.deviceId, deviceLabel(d)]);
    if (!sorted.some((d) => d.default)) options.unshift(['', 'This desktop']);
  }
  // Rebuilding an open <select> would close it: only touch it when something changed.
  const signature = JSON.stringify(options);
  if (el.device.dataset.signature !== signature) {
    el.device.dataset.signature = signature;
    el.device.replaceChildren(
      ...options.map(([value, label]) => {
        const o = document.createElement('option');
        o.value = value;
        o.textContent = label;
        return o;
      }),
    );
  }
  el.device.value = options.some(([v]) => v === chosen) ? chosen : '';
}

function formatTime(ms) {
  const d = new Date(ms);
  const time = d.toLocaleTimeString([], { hour: 'numeric', minute: '2-digit' });
  if (d.toDateString() === new Date().toDateString()) return time;
  return `${d.toLocaleDateString([], { month: 'short', day: 'numeric' })}, ${time}`;
}

function describe(m) {
  if (m.status === 'pending') {
    if (!token) return 'Will be sent once this phone is paired.';
    if (unauthorized) return 'Waiting until this phone is paired again.';
    return m.note || (inFlight.has(m.id) ? '' : 'Will be sent as soon as your desktop is reachable.');
  }
  if (m.status === 'queued') return `${m.target || 'Your desktop'} gets it as soon as it is online.`;
  if (m.status === 'failed') return `${m.target || 'Your desktop'} could not type it: ${sentence(m.error || 'unknown reason')}`;
  if (m.status === 'rejected' || m.status === 'lost') return m.error || '';
  return '';
}

/** One <li> per message, newest first, reused across renders (keeps focus, cheap). */
function renderList() {
  const shown = [...messages].reverse();
  const existing = new Map([...el.list.children].map((li) => [li.dataset.id, li]));
  const multi = devices && devices.length > 1;
  shown.forEach((m, index) => {
    let li = existing.get(m.id);
    if (!li) {
      li = document.createElement('li');
      li.className = 'item';
      li.dataset.id = m.id;
      li.innerHTML =
        '<button type="button" class="item-body">' +
        '<span class="item-text"></span>' +
        '<span class="item-meta"><span class="badge"></span><time></time><span class="item-device"></span></span>' +
        '<span class="item-note"></span>' +
        '</button>';
    }
    existing.delete(m.id);
    const status = m.status === 'pending' && inFlight.has(m.id) ? 'sending' : m.status;
    li.dataset.status = status;
    setText(li.querySelector('.item-text'), m.text);
    setText(li.querySelector('.badge'), STATUS_LABEL[status] || status);
    const time = li.querySelector('time');
    time.dateTime = new Date(m.createdAt).toISOString();
    setText(time, formatTime(m.createdAt));
    setText(li.querySelector('.item-device'), multi && m.target ? `to ${m.target}` : '');
    setText(li.querySelector('.item-note'), describe(m));
    // Move only when out of place: moving a focused node would drop its focus.
    if (el.list.children[index] !== li) el.list.insertBefore(li, el.list.children[index] || null);
  });
  for (const li of existing.values()) li.remove();
}

function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
  node.hidden = text === '';
}

function updateComposer() {
  const n = countChars(el.text.value);
  if (n >= COUNTER_FROM) {
    const over = n - MAX_CHARS;
    el.counter.textContent =
      over > 0
        ? `${n.toLocaleString()} / ${MAX_CHARS.toLocaleString()}: ${over.toLocaleString()} too many. Send it in two parts.`
        : `${n.toLocaleString()} / ${MAX_CHARS.toLocaleString()} characters`;
    el.counter.dataset.over = String(over > 0);
    el.counter.hidden = false;
  } else {
    el.counter.hidden = true;
    el.counter.textContent = '';
  }
  el.send.disabled = !canSend(cleanText(el.text.value));
}

/** Tell screen readers (and the send bar's status line) what just happened. */
function say(text) {
  el.announce.textContent = text;
}

function showCompose() {
  if (!el.compose.hidden && document.activeElement === document.body) el.text.focus();
}

// ---------------------------------------------------------------------------
// History actions.

// Two taps to clear or unpair, instead of a dialog: one-handed, and no accidents.
function confirmTap(button, question, action) {
  if (button.dataset.armed === 'true') {
    clearTimeout(Number(button.dataset.timer));
    button.dataset.armed = 'false';
    button.textContent = button.dataset.label;
    action();
    return;
  }
  button.dataset.label = button.textContent;
  button.dataset.armed = 'true';
  button.textContent = question;
  button.dataset.timer = String(
    setTimeout(() => {
      button.dataset.armed = 'false';
      button.textContent = button.dataset.label;
    }, 4000),
  );
}

function clearHistory() {
  const kept = pending();
  messages = kept;
  saveMessages();
  render();
  say(kept.length ? `History cleared. ${kept.length} unsent message(s) kept.` : 'History cleared.');
}

// Tapping a sent message puts its text back in the box, to fix and send again.
// Appended, never replacing: whatever is in the box already stays.
function reuse(id) {
  const m = find(id);
  if (!m) return;
  const current = el.text.value;
  el.text.value = current.trim() ? `${current.replace(/\s+$/, '')}\n${m.text}` : m.text;
  saveDraft();
  updateComposer();
  el.text.focus();
  el.text.setSelectionRange(el.text.value.length, el.text.value.length);
  el.text.scrollIntoView({ block: 'nearest' });
}

let draftTimer = null;
function saveDraft() {
  clearTimeout(draftTimer);
  draftTimer = setTimeout(() => save(KEYS.draft, el.text.value || null), 250);
}

// ---------------------------------------------------------------------------
// Layout: iOS Safari does not shrink the page above the keyboard; follow the visual
// viewport so the send bar stays visible there too. (CSSOM changes are allowed by the
// CSP; style attributes in the markup are not.)

function fitViewport() {
  const vv = window.visualViewport;
  const height = vv ? vv.height : window.innerHeight;
  document.documentElement.style.setProperty('--app-height', `${Math.round(height)}px`);
}

// ---------------------------------------------------------------------------
// Wiring.

function wakeUp() {
  if (document.hidden) return;
  retryDelay = RETRY_MIN_MS;
  refreshDevices();
  flush();
  schedulePoll(0, true);
}

function start() {
  takeTokenFromAddress();

  el.text.value = load(KEYS.draft, '') || '';
  el.text.addEventListener('input', () => {
    updateComposer();
    saveDraft();
  });
  el.text.addEventListener('keydown', (event) => {
    // Enter stays a newline (dictation and multi-line notes); Ctrl/Cmd+Enter sends.
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      send();
    }
  });
  el.send.addEventListener('click', send);
  el.device.addEventListener('change', () => save(KEYS.device, el.device.value));
  el.list.addEventListener('click', (event) => {
    const li = event.target.closest('li.item');
    if (li) reuse(li.dataset.id);
  });
  el.clear.addEventListener('click', () => confirmTap(el.clear, 'Tap again to clear', clearHistory));
  el.forget.addEventListener('click', () => confirmTap(el.forget, 'Tap again to unpair', forgetToken));
  el.pairGo.addEventListener('click', pairFromInput);
  el.pairLink.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') pairFromInput();
  });

  // A pairing link opened while the page is already open (a new QR code scanned).
  window.addEventListener('hashchange', takeTokenFromAddress);
  // Back online, or back to the page: retry now rather than at the next timer.
  window.addEventListener('online', wakeUp);
  document.addEventListener('visibilitychange', wakeUp);
  window.addEventListener('pageshow', (event) => {
    if (event.persisted) wakeUp();
  });
  window.addEventListener('offline', () => setConnection('offline'));
  // Another tab of this page changed the shared state.
  window.addEventListener('storage', (event) => {
    if (event.key === KEYS.messages) {
      messages = sanitize(load(KEYS.messages, []));
      render();
      schedulePoll(0);
    } else if (event.key === KEYS.token) {
      token = load(KEYS.token, null);
      unauthorized = false;
      render();
      if (token) wakeUp();
    }
  });

  fitViewport();
  if (window.visualViewport) window.visualViewport.addEventListener('resize', fitViewport);
  window.addEventListener('resize', fitViewport);

  renderDevices();
  render();
  if (token) {
    showCompose();
    refreshDevices();
    flush();
    schedulePoll(0);
  }
}

start();
