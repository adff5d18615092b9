// What the phone page knows, kept in localStorage where it must survive a reload
// (this phone's pairing with its key, the outbox and history, the chosen desktop, the draft). localStorage
// can be unavailable or full (private browsing): the page then still works for this
// visit, it just cannot remember.

import { loadJson, saveJson } from '../lib/storage.js';
import { isPending, sanitize } from './outbox.js';

export const KEYS = {
  pairing: 'saytype.pairing',
  counter: 'saytype.counter',
  /** Where an older SayType kept the desktop token on the phone (removed on sight). */
  oldToken: 'saytype.token',
  messages: 'saytype.messages',
  device: 'saytype.device',
  draft: 'saytype.draft',
  /** Other addresses of the desktop (origins), as the relay announced them, sealed. */
  addresses: 'saytype.addresses',
};

export const load = (key, fallback) => loadJson('local', key, fallback);
export const save = (key, value) => saveJson('local', key, value);

export const state = {
  /** This phone's pairing: {phoneId, key, desktop}, or null. @type {object|null} */
  pairing: validPairing(load(KEYS.pairing, null)),
  /** The desktop's name, for the words of the page. */
  desktop: null,
  /** Why the last pairing link did not pair: null | 'code' | 'forged' | 'offline'. */
  pairProblem: null,
  /** Oldest first. Entries: {id, text, device, target, status, error, note, createdAt, changedAt}. */
  messages: sanitize(load(KEYS.messages, [])),
  /** What GET /devices said last, or null before the first answer. */
  devices: null,
  /** The relay does not know this phone (any more): revoked on the desktop. */
  unauthorized: false,
  /** 'checking' | 'online' | 'offline' */
  connection: 'checking',
  /** Ids whose POST is under way (shown as "Sending…"). */
  inFlight: new Set(),
};

/** A stored pairing, if it has the right shape. */
export function validPairing(p) {
  return p && typeof p.phoneId === 'string' && typeof p.key === 'string' ? p : null;
}

let onChange = () => {};

/** `fn` shows the page again after a message changed. */
export function whenChanged(fn) {
  onChange = fn;
}

export function saveMessages() {
  save(KEYS.messages, state.messages);
}

/** The messages again as another tab of this page left them. */
export function reloadMessages() {
  state.messages = sanitize(load(KEYS.messages, []));
}

export function find(id) {
  return state.messages.find((m) => m.id === id);
}

export const pending = () => state.messages.filter(isPending);

/** Change one message, keep it on disk, show it. */
export function update(id, patch) {
  const m = find(id);
  if (!m) return;
  if (patch.status && patch.status !== m.status) patch.changedAt = Date.now();
  Object.assign(m, patch);
  saveMessages();
  onChange();
}
