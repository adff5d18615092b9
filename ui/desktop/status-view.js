// The Status card in words, from GET /ui/api/status. Pure (no DOM): unit-tested.

import { ago } from '../lib/time.js';

/** The local agent's state → [label, look]. */
export const AGENT_STATE = {
  connecting: ['Connecting…', 'wait'],
  connected: ['Online', 'ok'],
  paused: ['Paused', 'wait'],
  disconnected: ['Disconnected', 'bad'],
  stopped: ['Stopped', 'bad'],
};

export function agentLabel(state) {
  return AGENT_STATE[state] || [state, 'wait'];
}

/** What the injector says in the record-only mode (the relay's words for it). */
export const RECORDING_ONLY = 'recording only (injection mode: none)';

/**
 * The "Typing" line: { works: true | false | null (not known yet), text }, from the
 * agent's `injectorState` and the injection mode in force (`mode`, from the
 * settings; undefined before they are loaded).
 *
 * The agent checks its injector at start and with each message, so right after the
 * mode changes its line (`injector`) can still describe the old mode:
 * - in the mode "none" nothing is typed, so nothing can fail: say that;
 * - `recordedLine` is the line last shown while the injector was recording only;
 *   the same line under a mode that types was not checked since the mode changed.
 */
export function injectorView(agent, mode, recordedLine = null) {
  const state = agent.injectorState;
  if (mode === 'none') return { works: true, text: RECORDING_ONLY };
  if (mode && (state === 'recording' || (state === 'ready' && agent.injector === recordedLine))) {
    return { works: null, text: `injection mode: ${mode}; checked when the next message arrives` };
  }
  return { works: state !== 'unavailable', text: agent.injector };
}

/** The look of the "Typing" line: [class, sign]. */
export function injectorLook(works) {
  if (works === null) return ['injector injector-unknown', '…'];
  return works ? ['injector', '✓'] : ['injector injector-bad', '!'];
}

/** The relay's address line and its note. */
export function relayView({ address, port }) {
  const everywhere = address === '0.0.0.0' || address === '::';
  const loopback = address === '127.0.0.1' || address === '::1';
  return {
    where: everywhere ? `port ${port}` : `${address}:${port}`,
    note: everywhere ? 'Listening on every network of this computer.'
      : loopback ? 'This computer only: phones cannot reach it.' : '',
  };
}

/** The mDNS line: [label, look, note], or null when not available here. */
export function mdnsView(m) {
  if (!m) return null;
  if (!m.enabled) return ['Off', 'idle', 'Phones need the pairing link.'];
  if (m.advertising) return ['On', 'ok', 'Phones on this network can find SayType.'];
  return ['Not advertising', 'bad', m.detail || null];
}

/** Desktops: online first, then by name. */
export function sortDevices(devices) {
  return [...(devices || [])].sort((a, b) => (b.online - a.online) || a.deviceId.localeCompare(b.deviceId));
}

/** "offline, seen 5 min ago · this desktop · default". */
export function deviceNotes(d, localId, now = Date.now()) {
  const notes = [d.online ? 'online' : (d.lastSeen ? `offline, seen ${ago(d.lastSeen, now)}` : 'offline')];
  if (localId && d.deviceId === localId) notes.push('this desktop');
  if (d.default) notes.push('default');
  return notes.join(' · ');
}

/** "192.168.1.20 · 3 messages · just now". */
export function phoneNotes(p, now = Date.now()) {
  return `${p.address} · ${p.messages === 1 ? '1 message' : `${p.messages} messages`} · ${ago(p.lastSeen, now)}`;
}

/** "Android 14 · Chrome" from a user agent, for the phones list (full text in the tooltip). */
export function describeUserAgent(ua) {
  if (!ua) return 'unknown browser';
  const ios = ua.match(/iPhone OS ([\d_]+)/);
  const os = ua.match(/Android [\d.]+/)?.[0]
    || (ios ? `iPhone, iOS ${ios[1].replace(/_/g, '.')}` : null)
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
