// The desktop window: status, live history, pairing and settings, all from the
// relay's /ui/api on this machine.
//
// Rules this file keeps:
// - The CSP allows nothing inline and nothing external, so all behaviour is here and
//   all looks are classes in app.css.
// - Every piece of data (message text, device ids, user agents, error messages) goes
//   into the page with textContent, never innerHTML. The QR code (an SVG string from
//   the relay) is shown as an <img> data: URL, where no script in it could ever run.
// - The pairing token arrives in the fragment (#token=…), so it never reaches a server
//   log or a Referer; it is kept in sessionStorage (reloads work, closing forgets it)
//   and removed from the address bar at once.

const TOKEN_KEY = 'saytype.token';
const PAGE = 50; // history rows per page
const STATUS_ORDER = { queued: 0, delivered: 1, injected: 2, failed: 2 };
const STATUS_LABEL = { queued: 'Queued', delivered: 'Delivered', injected: 'Typed', failed: 'Failed' };
const STATUS_TITLE = {
  queued: 'Waiting at the relay until the desktop is online (and typing is not paused)',
  delivered: 'The desktop has it and is about to type it',
  injected: 'Typed (or pasted, or only recorded in the mode "Don\'t type")',
  failed: 'The desktop could not type it; see the reason',
};
const INJECT_HINTS = {
  auto: 'Types the text, or pastes it when it is long or unusual. Best for most people.',
  type: 'Key presses only: works in terminals and never touches your clipboard.',
  paste: 'Through the clipboard and Ctrl+V (Ctrl+Shift+V in terminals): instant for long texts.',
  none: 'Nothing is typed: messages are only kept in the history.',
};

const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------------------
// The token

/** Take the token from #token=… (then hide it), or from this tab's earlier visit. */
function readToken() {
  const params = new URLSearchParams(location.hash.slice(1));
  const fromLink = params.get('token');
  if (fromLink) {
    try {
      sessionStorage.setItem(TOKEN_KEY, fromLink);
    } catch {
      // Storage disabled: the token still works until the page is reloaded.
    }
    // Out of the address bar (and out of the history entry), so it is not copied or
    // shown by accident.
    history.replaceState(null, '', location.pathname + location.search);
    return fromLink;
  }
  try {
    return sessionStorage.getItem(TOKEN_KEY) || '';
  } catch {
    return '';
  }
}

let token = readToken();
/** While we rotate the token ourselves, a 401 may just mean "the old one": wait. */
let rotation = null;
let expired = false;

function storeToken(value) {
  token = value;
  try {
    sessionStorage.setItem(TOKEN_KEY, value);
  } catch {
    // See readToken.
  }
}

// ---------------------------------------------------------------------------
// The API

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** One API call with the token; JSON in and out; errors as ApiError with the relay's message. */
async function api(method, path, body) {
  const used = token;
  let res;
  try {
    res = await fetch(path, {
      method,
      cache: 'no-store',
      headers: {
        Authorization: `Bearer ${used}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'OFFLINE', 'SayType is not answering. Is it still running?');
  }
  if (res.status === 401) {
    // Our own rotation may have overtaken this request: try again with the new token.
    if (rotation) await rotation.catch(() => {});
    if (token !== used) return api(method, path, body);
    tokenRejected();
    throw new ApiError(401, 'UNAUTHORIZED', 'The pairing token was changed.');
  }
  if (res.status === 204) return null;
  const data = await res.json().catch(() => null);
  if (!res.ok) {
    const err = data && data.error;
    throw new ApiError(res.status, err?.code || `HTTP_${res.status}`, err?.message || `HTTP ${res.status}`);
  }
  return data;
}

// ---------------------------------------------------------------------------
// Small DOM helpers (text only: no markup from data, ever)

/**
 * el('span', { className: 'x', title: 't', dataset: { id } }, 'text', child, …)
 * Strings become text nodes; null/false children are skipped.
 */
function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null) continue;
    if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key in node) node[key] = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child);
  }
  return node;
}

function setText(id, ...children) {
  $(id).replaceChildren(...children.filter((c) => c !== null && c !== undefined && c !== false));
}

let toastTimer = 0;
/** A short note at the bottom of the window (also read out by screen readers). */
function toast(message, kind = 'info') {
  const box = $('toast');
  box.textContent = message;
  box.dataset.kind = kind;
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    box.hidden = true;
  }, kind === 'error' ? 7000 : 3500);
}

function showError(err) {
  if (err instanceof ApiError && err.status === 401) return; // the banner says it
  toast(err.message || String(err), 'error');
}

/** Our own confirm box (a <dialog>), so it looks like the rest and works in every webview. */
function confirmBox({ title, text, ok, danger = false }) {
  const dialog = $('confirm');
  if (typeof dialog.showModal !== 'function') {
    return Promise.resolve(window.confirm(`${title}\n\n${text}`));
  }
  $('confirm-title').textContent = title;
  $('confirm-text').textContent = text;
  const okButton = $('confirm-ok');
  okButton.textContent = ok;
  okButton.classList.toggle('danger-solid', danger);
  okButton.classList.toggle('primary', !danger);
  return new Promise((resolve) => {
    const done = (answer) => {
      okButton.removeEventListener('click', onOk);
      $('confirm-cancel').removeEventListener('click', onCancel);
      dialog.removeEventListener('cancel', onCancel);
      if (dialog.open) dialog.close();
      resolve(answer);
    };
    const onOk = () => done(true);
    const onCancel = (event) => {
      event.preventDefault();
      done(false);
    };
    okButton.addEventListener('click', onOk);
    $('confirm-cancel').addEventListener('click', onCancel);
    dialog.addEventListener('cancel', onCancel); // Escape
    dialog.showModal();
    // The safe choice has the focus: Enter does not destroy anything by accident.
    $('confirm-cancel').focus();
  });
}

/** Copy text: the Clipboard API, else the old execCommand way; false if neither works. */
async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Not allowed or not available (some webviews): fall back below.
  }
  const area = el('textarea', { className: 'offscreen', readOnly: true });
  area.value = text;
  document.body.append(area);
  area.select();
  let ok = false;
  try {
    ok = document.execCommand('copy');
  } catch {
    ok = false;
  }
  area.remove();
  return ok;
}

async function copyWithFeedback(text, what) {
  if (await copyText(text)) toast(`${what} copied.`);
  else toast('Could not copy here: select the text and press Ctrl+C.', 'error');
}

// ---------------------------------------------------------------------------
// Times

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit', second: '2-digit' });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, {
  month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit',
});
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'medium' });

function sameDay(a, b) {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

/** "3:04:05 PM" today, "Nov 25, 3:04 PM" before. */
function shortTime(ms) {
  const d = new Date(ms);
  return sameDay(d, new Date()) ? timeFormat.format(d) : dateTimeFormat.format(d);
}

function fullTime(ms) {
  return fullFormat.format(new Date(ms));
}

/** "just now", "5 min ago", "2 h ago", else a date. */
function ago(ms) {
  const s = Math.max(0, (Date.now() - ms) / 1000);
  if (s < 45) return 'just now';
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return shortTime(ms);
}

/** A duration between two steps: "4 ms", "1.2 s", "3 min". */
function after(ms) {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(ms < 10000 ? 1 : 0)} s`;
  if (ms < 3600000) return `${Math.round(ms / 60000)} min`;
  return `${Math.round(ms / 3600000)} h`;
}

// ---------------------------------------------------------------------------
// The live connection indicator, and the "token no longer valid" state

function setLive(state, text) {
  const live = $('live');
  live.dataset.state = state;
  $('live-text').textContent = text;
}

function showBanner(title, text) {
  $('banner-title').textContent = title;
  $('banner-text').textContent = text;
  $('banner').hidden = false;
}

/** The relay refused our token: it was rotated elsewhere (tray, another window). */
function tokenRejected() {
  if (expired) return;
  expired = true;
  stopEvents();
  document.body.classList.add('is-locked');
  $('pause').disabled = true;
  $('s-save').disabled = true;
  setLive('expired', 'Token changed');
  showBanner('This window can no longer talk to SayType.',
    'Its pairing token was replaced by a new one. Reopen the window from the tray menu (Open SayType).');
}

// ---------------------------------------------------------------------------
// Status

let lastStatus = null;

const AGENT_STATE = {
  connecting: ['Connecting…', 'wait'],
  connected: ['Online', 'ok'],
  paused: ['Paused', 'wait'],
  disconnected: ['Disconnected', 'bad'],
  stopped: ['Stopped', 'bad'],
};

function tag(text, kind, title) {
  return el('span', { className: `tag tag-${kind}`, title }, text);
}

/** Whether the injector works here. Newer relays say so; else judge by its words. */
function injectorWorks(agent) {
  if (typeof agent.injectorOk === 'boolean') return agent.injectorOk;
  return !/^(no display|no x display|wayland session without|cannot|unavailable)/i.test(agent.injector || '');
}

/**
 * The injector line, squared with the mode in force: the agent describes its injector
 * at start and after each message, so right after the mode changes its line can still
 * describe the old mode. Then say what is known instead.
 */
function injectorView(agent) {
  const mode = savedSettings?.injectMode;
  const recording = /^recording only/i.test(agent.injector || '');
  if (mode === 'none' && !recording) return { works: true, text: 'recording only (injection mode: none)' };
  if (mode && mode !== 'none' && recording) {
    return { works: null, text: `injection mode: ${mode}; checked when the next message arrives` };
  }
  return { works: injectorWorks(agent), text: agent.injector };
}

/** "Android 14 · Chrome" from a user agent, for the phones list (full text in the tooltip). */
function describeUserAgent(ua) {
  if (!ua) return 'unknown browser';
  const os = ua.match(/Android [\d.]+/)?.[0]
    || (ua.match(/iPhone OS ([\d_]+)/) ? `iPhone, iOS ${ua.match(/iPhone OS ([\d_]+)/)[1].replace(/_/g, '.')}` : null)
    || (/iPad/.test(ua) ? 'iPad' : null)
    || (/Windows/.test(ua) ? 'Windows' : null)
    || (/Mac OS X/.test(ua) ? 'macOS' : null)
    || (/Linux/.test(ua) ? 'Linux' : null);
  const browser = ua.match(/(?:Firefox|FxiOS)\/\d+/)?.[0].replace(/FxiOS/, 'Firefox').replace(/\/.*/, '')
    || (/EdgA?\//.test(ua) ? 'Edge' : null)
    || (/SamsungBrowser/.test(ua) ? 'Samsung Internet' : null)
    || (/(Chrome|CriOS)\//.test(ua) ? 'Chrome' : null)
    || (/Safari\//.test(ua) ? 'Safari' : null)
    || ua.split(/[\s/]/)[0];
  return os ? `${os} · ${browser}` : browser;
}

function renderStatus(s) {
  lastStatus = s;
  $('version').textContent = s.version ? `v${s.version}` : '';

  // The agent inside this process, and the pause button that controls it.
  const agent = s.localAgent;
  const pause = $('pause');
  if (agent) {
    const [label, kind] = AGENT_STATE[agent.state] || [agent.state, 'wait'];
    setText('agent',
      el('span', { className: 'mono' }, agent.deviceId), ' ',
      tag(label, kind),
      agent.detail ? el('span', { className: 'detail' }, agent.detail) : null,
      agent.paused ? el('span', { className: 'detail' }, 'Messages wait at the relay (queued) until you resume.') : null);
    const { works, text } = injectorView(agent);
    const look = works === null ? 'injector injector-unknown' : works ? 'injector' : 'injector injector-bad';
    setText('injector',
      el('span', { className: look },
        el('span', { className: 'sign', 'aria-hidden': 'true' }, works === null ? '…' : works ? '✓' : '!'), ' ', text));
    pause.disabled = expired;
    pause.setAttribute('aria-pressed', String(agent.paused));
    pause.textContent = agent.paused ? 'Resume typing' : 'Pause typing';
    pause.classList.toggle('primary', agent.paused);
    document.body.classList.toggle('is-paused', agent.paused);
  } else {
    setText('agent', el('span', { className: 'muted' }, 'No agent in this process (relay only).'));
    setText('injector', el('span', { className: 'muted' }, 'Not here: agents on other desktops type.'));
    pause.disabled = true;
    pause.textContent = 'Pause typing';
  }

  const { address, port } = s.relay;
  const everywhere = address === '0.0.0.0' || address === '::';
  setText('relay',
    el('span', { className: 'mono' }, `${everywhere ? '' : address}${everywhere ? 'port ' : ':'}${port}`),
    el('span', { className: 'detail' }, everywhere ? 'Listening on every network of this computer.'
      : (address === '127.0.0.1' || address === '::1') ? 'This computer only: phones cannot reach it.' : ''));

  const m = s.mdns;
  if (!m) setText('mdns', el('span', { className: 'muted' }, 'Not available here.'));
  else if (!m.enabled) setText('mdns', tag('Off', 'idle'), el('span', { className: 'detail' }, 'Phones need the pairing link.'));
  else if (m.advertising) setText('mdns', tag('On', 'ok'), el('span', { className: 'detail' }, 'Phones on this network can find SayType.'));
  else setText('mdns', tag('Not advertising', 'bad'), m.detail ? el('span', { className: 'detail' }, m.detail) : null);

  setText('token-state', s.tokenPresent ? tag('Set', 'ok') : tag('Missing', 'bad'));

  // Desktops (agents) the relay knows.
  const devices = [...(s.devices || [])].sort((a, b) => (b.online - a.online) || a.deviceId.localeCompare(b.deviceId));
  $('devices').replaceChildren(...(devices.length ? devices.map((d) => {
    const notes = [d.online ? 'online' : (d.lastSeen ? `offline, seen ${ago(d.lastSeen)}` : 'offline')];
    if (agent && d.deviceId === agent.deviceId) notes.push('this desktop');
    if (d.default) notes.push('default');
    return el('li', { className: 'row', dataset: { device: d.deviceId, online: String(d.online) } },
      el('span', { className: `dot ${d.online ? 'dot-ok' : 'dot-idle'}`, 'aria-hidden': 'true' }),
      el('span', { className: 'row-main' },
        el('span', { className: 'row-name mono' }, d.deviceId),
        el('span', { className: 'row-sub' }, notes.join(' · '))),
      d.queued ? el('span', { className: 'tag tag-wait' }, `${d.queued} queued`) : null);
  }) : [el('li', { className: 'muted' }, 'No desktop has connected yet.')]));

  const phones = s.phones || [];
  $('phones').replaceChildren(...(phones.length ? phones.map((p) => el('li', { className: 'row', title: p.userAgent || '' },
    el('span', { className: 'dot dot-phone', 'aria-hidden': 'true' }),
    el('span', { className: 'row-main' },
      el('span', { className: 'row-name' }, describeUserAgent(p.userAgent)),
      el('span', { className: 'row-sub' },
        `${p.address} · ${p.messages === 1 ? '1 message' : `${p.messages} messages`} · ${ago(p.lastSeen)}`))))
    : [el('li', { className: 'muted' }, 'None in the last 24 hours.')]));
}

const refreshStatus = coalesce(async () => {
  renderStatus(await api('GET', '/ui/api/status'));
});

// ---------------------------------------------------------------------------
// History

let filter = 'all';
/** id → { m: record, li } for the rows on screen. */
const rows = new Map();
let hasMore = false;
/** Bumped by every full reload, so answers to older requests are dropped. */
let generation = 0;

const matches = (m) => filter === 'all' || m.status === filter;

function minSeq() {
  let min = Infinity;
  for (const { m } of rows.values()) min = Math.min(min, m.seq);
  return min;
}

function button(label, action, extra = {}) {
  return el('button', { type: 'button', className: 'btn small ghost', dataset: { action }, ...extra }, label);
}

function renderRow(m) {
  const times = [];
  if (m.deliveredAt) times.push(`delivered in ${after(m.deliveredAt - m.createdAt)}`);
  if (m.injectedAt) times.push(`typed in ${after(m.injectedAt - m.createdAt)}`);
  if (m.failedAt) times.push(`failed in ${after(m.failedAt - m.createdAt)}`);
  const exact = [`Received ${fullTime(m.createdAt)}`];
  if (m.deliveredAt) exact.push(`Delivered ${fullTime(m.deliveredAt)}`);
  if (m.injectedAt) exact.push(`Typed ${fullTime(m.injectedAt)}`);
  if (m.failedAt) exact.push(`Failed ${fullTime(m.failedAt)}`);

  const long = m.text.length > 600 || m.text.split('\n').length > 8;
  const text = el('p', { className: long ? 'msg-text is-clamped' : 'msg-text' }, m.text);

  return el('li', { className: 'msg', dataset: { id: m.id, status: m.status, seq: String(m.seq) } },
    el('div', { className: 'msg-head' },
      el('span', { className: `badge badge-${m.status}`, title: STATUS_TITLE[m.status] || '' }, STATUS_LABEL[m.status] || m.status),
      el('span', { className: 'msg-meta' },
        el('span', { className: 'msg-device mono', title: 'Desktop' }, m.deviceId),
        ' · ',
        el('time', { className: 'msg-time', dateTime: new Date(m.createdAt).toISOString(), title: exact.join('\n') }, shortTime(m.createdAt)))),
    text,
    long ? button('Show all', 'expand', { className: 'btn link' }) : null,
    m.status === 'failed' && m.error ? el('p', { className: 'msg-error' }, el('strong', {}, 'Not typed: '), m.error) : null,
    el('div', { className: 'msg-foot' },
      el('span', { className: 'msg-times', title: exact.join('\n') }, times.join(' · ')),
      el('span', { className: 'msg-actions' },
        m.status === 'failed' ? button('Retry', 'retry', { className: 'btn small' }) : null,
        button('Copy', 'copy', { 'aria-label': 'Copy the text' }),
        button('Delete', 'delete', { 'aria-label': 'Delete this message' }))));
}

/** Whether a first page was loaded: before that, "nothing yet" would be a guess. */
let historyLoaded = false;

function updateEmpty() {
  const empty = $('history-empty');
  if (rows.size || !historyLoaded) {
    empty.hidden = true;
    return;
  }
  empty.hidden = false;
  empty.textContent = filter === 'all'
    ? 'Nothing yet. Dictate on your phone and the messages show up here as they arrive.'
    : `No ${STATUS_LABEL[filter].toLowerCase()} messages.`;
}

/** Put a row where its seq belongs (newest first). */
function placeRow(li, seq) {
  const list = $('history');
  for (const other of list.children) {
    if (Number(other.dataset.seq) < seq) {
      list.insertBefore(li, other);
      return;
    }
  }
  list.append(li);
}

function removeRow(id) {
  const row = rows.get(id);
  if (!row) return;
  row.li.remove();
  rows.delete(id);
}

/** Show what the relay now says about one message (undefined: it is gone). */
function applyMessage(id, m) {
  const row = rows.get(id);
  if (!m) {
    removeRow(id);
    updateEmpty();
    return;
  }
  // A late answer must not take a row back (states only move forward).
  if (row && (STATUS_ORDER[m.status] ?? 0) < (STATUS_ORDER[row.m.status] ?? 0)) return;
  if (!matches(m)) {
    removeRow(id);
    updateEmpty();
    return;
  }
  const li = renderRow(m);
  if (row) {
    // Keep the keyboard focus on the same button when a row is redrawn.
    const focused = row.li.contains(document.activeElement) ? document.activeElement.dataset.action : null;
    if (row.li.querySelector('.msg-text:not(.is-clamped)') && li.querySelector('.is-clamped')) expand(li);
    row.li.replaceWith(li);
    if (focused) li.querySelector(`[data-action="${focused}"]`)?.focus();
  } else {
    // Older than what is loaded while more pages exist: it arrives with "Load more".
    if (hasMore && m.seq < minSeq()) return;
    li.classList.add('is-new');
    placeRow(li, m.seq);
  }
  rows.set(id, { m, li });
  updateEmpty();
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null) q.set(k, String(v));
  return `/ui/api/history?${q}`;
}

/** Load the first page again (also after "history" events: deletions, clearing, lag). */
const reloadHistory = coalesce(async () => {
  const gen = ++generation;
  // As many rows as the user has already paged through, so a reload keeps the place.
  const limit = Math.min(1000, Math.max(PAGE, rows.size));
  const list = await api('GET', query({ status: filter === 'all' ? null : filter, limit }));
  if (gen !== generation) return;
  const before = new Map(rows);
  rows.clear();
  const items = list.map((fetched) => {
    // A row updated by an event while this page was on its way may be newer.
    const known = before.get(fetched.id)?.m;
    const m = known && STATUS_ORDER[known.status] > STATUS_ORDER[fetched.status] ? known : fetched;
    const li = renderRow(m);
    rows.set(m.id, { m, li });
    return li;
  });
  $('history').replaceChildren(...items);
  hasMore = list.length === limit;
  $('more').hidden = !hasMore;
  historyLoaded = true;
  updateEmpty();
});

async function loadMore() {
  const gen = generation;
  const more = $('more');
  more.disabled = true;
  more.textContent = 'Loading…';
  try {
    const list = await api('GET', query({ status: filter === 'all' ? null : filter, before: minSeq(), limit: PAGE }));
    if (gen !== generation) return;
    for (const m of list) applyMessageFromPage(m);
    hasMore = list.length === PAGE;
  } catch (err) {
    showError(err);
  } finally {
    more.disabled = false;
    more.textContent = 'Load more';
    more.hidden = !hasMore;
  }
}

function applyMessageFromPage(m) {
  if (rows.has(m.id)) return;
  const li = renderRow(m);
  $('history').append(li);
  rows.set(m.id, { m, li });
  updateEmpty();
}

/** Refetch one message, one request at a time per id (events can come in bursts). */
const rowFetches = new Map();
async function refreshMessage(id) {
  const running = rowFetches.get(id);
  if (running) {
    running.again = true;
    return;
  }
  const job = { again: true };
  rowFetches.set(id, job);
  try {
    while (job.again) {
      job.again = false;
      const [m] = await api('GET', query({ id, limit: 1 }));
      applyMessage(id, m);
    }
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 401)) console.warn('refreshing a message failed:', err.message);
  } finally {
    rowFetches.delete(id);
  }
}

function expand(li) {
  li.querySelector('.msg-text')?.classList.remove('is-clamped');
  li.querySelector('[data-action="expand"]')?.remove();
}

async function onRowAction(event) {
  const target = event.target.closest('button[data-action]');
  if (!target) return;
  const li = target.closest('li.msg');
  const row = li && rows.get(li.dataset.id);
  if (!row) return;
  const { m } = row;
  switch (target.dataset.action) {
    case 'copy':
      await copyWithFeedback(m.text, 'Text');
      break;
    case 'expand':
      expand(li);
      break;
    case 'delete':
      target.disabled = true;
      try {
        await api('DELETE', `/ui/api/messages/${encodeURIComponent(m.id)}`);
        removeRow(m.id);
        updateEmpty();
        toast(m.status === 'queued' ? 'Deleted; it will not be typed.' : 'Deleted.');
      } catch (err) {
        target.disabled = false;
        if (err.status === 404) {
          removeRow(m.id);
          updateEmpty();
        } else showError(err);
      }
      break;
    case 'retry':
      target.disabled = true;
      try {
        const sent = await api('POST', `/ui/api/messages/${encodeURIComponent(m.id)}/retry`);
        toast(sent.status === 'queued' ? `Sent again: waiting for ${sent.deviceId}.` : 'Sent again.');
        refreshMessage(sent.id); // in case its event came before this answer
      } catch (err) {
        target.disabled = false;
        showError(err);
      }
      break;
    default:
  }
}

function setFilter(value) {
  if (value === filter) return;
  filter = value;
  for (const chip of $('filter').querySelectorAll('[data-filter]')) {
    chip.setAttribute('aria-pressed', String(chip.dataset.filter === value));
  }
  // Start from the first page of the new selection; drop answers for the old one.
  generation += 1;
  rows.clear();
  $('history').replaceChildren();
  reloadHistory().catch(showError);
}

async function clearHistory() {
  const ok = await confirmBox({
    title: 'Clear the history?',
    text: 'Every delivered, typed and failed message is deleted from this computer. Queued messages stay: they are still on their way.',
    ok: 'Clear history',
    danger: true,
  });
  if (!ok) return;
  try {
    const { removed } = await api('DELETE', '/ui/api/messages');
    toast(removed === 1 ? '1 message deleted.' : `${removed} messages deleted.`);
    await reloadHistory();
  } catch (err) {
    showError(err);
  }
}

// ---------------------------------------------------------------------------
// Pairing

function renderPairing(p) {
  const img = $('qr');
  // Shown as an image: any markup in the SVG stays inert. Only accept an SVG document.
  if (typeof p.qrSvg === 'string' && /<svg[\s>]/.test(p.qrSvg)) {
    img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(p.qrSvg)}`;
    img.hidden = false;
    $('qr-missing').hidden = true;
  } else {
    img.hidden = true;
    $('qr-missing').hidden = false;
    $('qr-missing').textContent = 'No QR code: use the link below.';
  }
  $('pair-link').value = p.link;
  $('pairing-card').dataset.loaded = 'true';
  const lan = $('lan');
  const others = (p.lanAddresses || []).filter((a) => a !== p.host);
  if (p.host === '127.0.0.1' || p.host === '::1') {
    lan.hidden = false;
    lan.textContent = 'This computer has no network address right now: phones cannot reach it.';
  } else if (others.length) {
    lan.hidden = false;
    lan.textContent = `If the phone cannot open it, replace ${p.host} with another address of this computer: ${others.join(', ')}.`;
  } else {
    lan.hidden = true;
  }
}

const refreshPairing = coalesce(async () => {
  renderPairing(await api('GET', '/ui/api/pairing'));
});

async function rotateToken() {
  const ok = await confirmBox({
    title: 'Make a new pairing token?',
    text: 'The current token stops working at once: every paired phone must scan the new QR code, and desktops connected with the old token (saytype agent) need the new one. This desktop follows by itself.',
    ok: 'Make a new token',
    danger: true,
  });
  if (!ok) return;
  const rotate = $('rotate');
  rotate.disabled = true;
  rotation = api('POST', '/ui/api/token/rotate');
  try {
    const result = await rotation;
    storeToken(result.token);
    renderPairing(result.pairing);
    toast('New token made. Pair your phones again with the new code.');
    // Follow with the live events as well (the old stream may be closed any time).
    restartEvents();
  } catch (err) {
    showError(err);
  } finally {
    rotation = null;
    rotate.disabled = false;
  }
}

// ---------------------------------------------------------------------------
// Settings

let savedSettings = null;

function formSettings() {
  return {
    injectMode: $('s-inject').value,
    newline: $('s-newline').value,
    port: Number($('s-port').value),
    startAtLogin: $('s-login').checked,
  };
}

function isDirty() {
  if (!savedSettings) return false;
  const now = formSettings();
  // The port field as typed, so "7373 " or "" count as changes too.
  return now.injectMode !== savedSettings.injectMode || now.newline !== savedSettings.newline
    || $('s-port').value !== String(savedSettings.port) || now.startAtLogin !== savedSettings.startAtLogin;
}

function fillSettings(s) {
  savedSettings = s;
  $('settings').dataset.loaded = 'true';
  $('s-inject').value = s.injectMode;
  $('s-newline').value = s.newline;
  $('s-port').value = String(s.port);
  $('s-login').checked = s.startAtLogin;
  onSettingsInput();
  if (lastStatus) renderStatus(lastStatus); // the injector line depends on the mode
}

function feedback(text, kind = '') {
  const box = $('s-feedback');
  box.textContent = text;
  box.dataset.kind = kind;
}

function onSettingsInput() {
  $('s-inject-hint').textContent = INJECT_HINTS[$('s-inject').value] || '';
  const dirty = isDirty();
  $('s-save').disabled = !dirty || expired;
  if (dirty) feedback('Unsaved changes.', 'pending');
  else if ($('s-feedback').dataset.kind === 'pending') feedback('');
}

const refreshSettings = coalesce(async () => {
  const s = await api('GET', '/ui/api/settings');
  // Changed elsewhere (tray menu): show it, unless the user is editing the form.
  if (!isDirty()) fillSettings(s);
  else {
    savedSettings = s;
    if (lastStatus) renderStatus(lastStatus);
  }
});

async function saveSettings(event) {
  event.preventDefault(); // never a real form submission (the CSP forbids it anyway)
  const wanted = formSettings();
  const portText = $('s-port').value.trim();
  if (!/^\d+$/.test(portText) || wanted.port < 1024 || wanted.port > 65535) {
    feedback('The port must be a number from 1024 to 65535.', 'error');
    $('s-port').focus();
    return;
  }
  const before = savedSettings;
  $('s-save').disabled = true;
  feedback('Saving…', 'pending');
  try {
    const applied = await api('PUT', '/ui/api/settings', wanted);
    fillSettings(applied);
    const notes = ['Saved.'];
    if (before && (applied.injectMode !== before.injectMode || applied.newline !== before.newline)) {
      notes.push('Applies from the next message.');
    }
    if (before && applied.port !== before.port) notes.push(`Port ${applied.port} is used from the next start of SayType.`);
    feedback(notes.join(' '), 'ok');
  } catch (err) {
    feedback(err.status === 401 ? 'Not saved: the token was changed.' : `Not saved: ${err.message}`, 'error');
    $('s-save').disabled = false;
  }
}

// ---------------------------------------------------------------------------
// Pause

async function togglePause() {
  const pause = $('pause');
  const paused = pause.getAttribute('aria-pressed') !== 'true';
  pause.disabled = true;
  try {
    await api('POST', '/ui/api/pause', { paused });
    toast(paused ? 'Typing paused: messages wait at the relay.' : 'Typing resumed.');
    await refreshStatus();
  } catch (err) {
    showError(err);
  } finally {
    pause.disabled = expired || !lastStatus?.localAgent;
  }
}

// ---------------------------------------------------------------------------
// Live events: server-sent events read with fetch(), because EventSource cannot send
// the Authorization header (and the token must not go in the URL).

let eventsAbort = null;
let eventsRun = 0;

function stopEvents() {
  eventsRun += 1;
  eventsAbort?.abort();
  eventsAbort = null;
}

function restartEvents() {
  stopEvents();
  followEvents(eventsRun);
}

const sleep = (ms) => new Promise((resolve) => {
  setTimeout(resolve, ms);
});

function handleEvent(event) {
  switch (event.type) {
    case 'message':
      refreshMessage(event.id);
      refreshStatus().catch(() => {}); // queued counts, phones seen
      break;
    case 'devices':
    case 'agent':
      refreshStatus().catch(() => {});
      break;
    case 'settings':
      refreshSettings().catch(() => {});
      refreshStatus().catch(() => {}); // the injector line follows the mode
      break;
    case 'token':
      // Rotated here (then we already have the new one) or elsewhere (then the next
      // call gets a 401 and the banner says what to do).
      if (!rotation) {
        refreshStatus().catch(() => {});
        refreshPairing().catch(() => {});
      }
      break;
    case 'history':
      reloadHistory().catch(() => {});
      break;
    default:
  }
}

/** Parse "data:" lines of one SSE event block; comments (":…") and other fields are ignored. */
function parseBlock(block) {
  const data = [];
  for (const line of block.split(/\r\n|\r|\n/)) {
    if (line.startsWith('data:')) data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
  }
  if (!data.length) return null;
  try {
    return JSON.parse(data.join('\n'));
  } catch {
    return null;
  }
}

async function followEvents(run) {
  let attempt = 0;
  while (run === eventsRun && !expired) {
    const abort = new AbortController();
    eventsAbort = abort;
    try {
      const res = await fetch('/ui/api/events', {
        headers: { Authorization: `Bearer ${token}`, Accept: 'text/event-stream' },
        cache: 'no-store',
        signal: abort.signal,
      });
      if (res.status === 401) {
        if (rotation) await rotation.catch(() => {});
        else {
          tokenRejected();
          return;
        }
        continue;
      }
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      attempt = 0;
      setLive('live', 'Live');
      // Whatever happened while we were not listening: load it all again.
      reloadAll();
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        // Events end with a blank line.
        let end;
        while ((end = buffer.search(/\r?\n\r?\n|\r\r/)) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end).replace(/^(\r?\n\r?\n|\r\r)/, '');
          const event = parseBlock(block);
          if (event && run === eventsRun) handleEvent(event);
        }
      }
    } catch {
      // Dropped (relay stopped, network) or aborted by us; see below.
    }
    if (run !== eventsRun || expired) return;
    setLive('offline', attempt === 0 ? 'Reconnecting…' : 'SayType is not answering');
    // Back off: 0.5 s, 1 s, 2 s … up to 10 s, with jitter so windows do not stampede.
    const delay = Math.min(10000, 500 * 2 ** attempt) * (0.75 + Math.random() / 2);
    attempt += 1;
    await sleep(delay);
  }
}

// ---------------------------------------------------------------------------
// Start

/**
 * A function that runs `fn` once at a time: calls made while it runs make it run once
 * more afterwards (bursts of events become one or two requests, never a pile).
 */
function coalesce(fn) {
  let running = null;
  let again = false;
  return function run() {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await fn();
        } while (again);
      } finally {
        running = null;
      }
    })();
    return running;
  };
}

function reloadAll() {
  for (const load of [refreshStatus, reloadHistory, refreshSettings, refreshPairing]) {
    load().catch((err) => {
      if (err.status !== 401 && err.code !== 'OFFLINE') showError(err);
    });
  }
}

function start() {
  $('pause').addEventListener('click', togglePause);
  $('history').addEventListener('click', onRowAction);
  $('filter').addEventListener('click', (event) => {
    const chip = event.target.closest('[data-filter]');
    if (chip) setFilter(chip.dataset.filter);
  });
  $('more').addEventListener('click', loadMore);
  $('clear').addEventListener('click', clearHistory);
  $('copy-link').addEventListener('click', () => copyWithFeedback($('pair-link').value, 'Pairing link'));
  $('pair-link').addEventListener('focus', (event) => event.target.select());
  $('rotate').addEventListener('click', rotateToken);
  $('settings').addEventListener('submit', saveSettings);
  $('settings').addEventListener('input', onSettingsInput);
  $('settings').addEventListener('change', onSettingsInput);
  $('toast').addEventListener('click', () => {
    $('toast').hidden = true;
  });
  updateEmpty();
  // The tray may open this same window again with a new token: a fragment-only
  // change does not reload the page, so take the token and start afresh.
  window.addEventListener('hashchange', () => {
    const fresh = new URLSearchParams(location.hash.slice(1)).get('token');
    if (!fresh) return;
    storeToken(fresh);
    history.replaceState(null, '', location.pathname + location.search);
    location.reload();
  });

  if (!token) {
    setLive('expired', 'Not connected');
    document.body.classList.add('is-locked');
    showBanner('Open this window from the tray menu.',
      'It needs the pairing token, which the SayType tray menu (Open SayType) passes to it.');
    return;
  }
  reloadAll();
  followEvents(eventsRun);
  // "seen 2 min ago" ages even when nothing happens.
  setInterval(() => {
    if (lastStatus) renderStatus(lastStatus);
  }, 30000);
}

start();
