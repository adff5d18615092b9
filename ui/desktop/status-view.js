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

/**
 * The "Typing" line: { works: true | false | null (being checked), text }, from the
 * agent's `injectorState` alone (the relay squares it with the mode in force and
 * checks a new mode at once); `injector` is the text to show.
 */
export function injectorView(agent) {
  const works = { ready: true, recording: true, unavailable: false, checking: null }[agent.injectorState];
  return { works: works === undefined ? null : works, text: agent.injector };
}

/** The look of the "Typing" line: [class, sign]. */
/**
 * Whether the window offers "Allow typing": the route waits for the user's
 * permission (the remote desktop portal's dialog), and typing is not paused.
 */
export const asksForGrant = (agent) => Boolean(agent?.injectorNeedsGrant) && !agent.paused;

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

/** The look of a desktop's dot: a paused one is waiting on purpose, not gone. */
export const deviceLook = (d) => (d.online ? 'ok' : d.paused ? 'wait' : 'idle');

/** "offline, seen 5 min ago · this desktop · default"; "paused" when its user paused typing. */
export function deviceNotes(d, localId, now = Date.now()) {
  const away = d.paused ? 'paused' : (d.lastSeen ? `offline, seen ${ago(d.lastSeen, now)}` : 'offline');
  const notes = [d.online ? 'online' : away];
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
