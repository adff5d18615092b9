// What the page shows about the relay and its desktops: the connection line and the
// "Send to" choices. Pure (no DOM): unit-tested.

/**
 * The connection line: [state, text]. `connection`: 'checking' | 'online' |
 * 'offline'; `waiting`: messages not sent yet; `target`: the chosen desktop as
 * GET /devices last listed it (or null): one paused by its user is "Paused", with
 * what waits for it, not "Connected" and not "offline".
 */
export function connectionView({ paired, unauthorized, connection, waiting, target = null }) {
  let state = connection;
  let text = { checking: 'Connecting…', online: 'Connected', offline: 'Not connected' }[connection];
  if (connection === 'online' && target?.paused) {
    state = 'paused';
    text = `Paused on ${target.deviceId}`;
    if (target.queued) text += ` · ${target.queued} waiting`;
  }
  if (!paired) {
    state = 'unpaired';
    text = 'Not paired';
  } else if (unauthorized) {
    state = 'unauthorized';
    text = 'Not paired any more';
  }
  if (waiting && state !== 'online') text += ` · ${waiting} waiting`;
  return [state, text];
}

/** Why this phone is not paired, in words; `problem` as state.pairProblem. */
export function notPairedWhy(problem) {
  if (problem === 'code') return 'The pairing link was already used, has expired (links work for 5 minutes, for one phone), or belongs to another desktop.';
  if (problem === 'forged') return 'The answer to the pairing link did not come from the desktop that made it.';
  if (problem === 'offline') return 'The desktop could not be reached to pair. On the desktop, open SayType and run Diagnostics (or saytype doctor in a terminal): it names what blocks the phone and how to fix it.';
  if (problem === 'upgraded') return 'SayType now gives each phone a key of its own instead of the desktop\'s token: pair this phone once more.';
  return 'The desktop removed this phone from its paired phones.';
}

/** A desktop in the picker. What the relay said last is stale once it cannot be reached: name only. */
export function deviceLabel(d, online) {
  if (!online) return d.deviceId;
  // Paused by its user: offline on purpose, and back when typing is resumed.
  const parts = [d.online ? 'online' : d.paused ? 'paused' : 'offline'];
  if (d.queued) parts.push(`${d.queued} waiting`);
  return `${d.deviceId} · ${parts.join(', ')}`;
}

/**
 * The picker's [value, label] pairs. `devices`: GET /devices, or null before the
 * first answer; `chosen`: the user's last choice; `online`: the relay answers.
 */
export function deviceOptions(devices, chosen, online) {
  const options = [];
  if (!devices) {
    options.push(['', 'Your desktop']);
    if (chosen) options.push([chosen, chosen]);
    return options;
  }
  // The default device (the desktop serving this page) first: no deviceId is sent
  // for it, so it stays right even if that desktop is renamed.
  const sorted = [...devices].sort((a, b) => (b.default ? 1 : 0) - (a.default ? 1 : 0) || a.deviceId.localeCompare(b.deviceId));
  for (const d of sorted) options.push([d.default ? '' : d.deviceId, deviceLabel(d, online)]);
  if (!sorted.some((d) => d.default)) options.unshift(['', 'This desktop']);
  return options;
}

/** The desktop a choice of the picker stands for ('' = the default), or null. */
export function chosenDevice(devices, chosen) {
  if (!devices) return null;
  return devices.find((d) => (chosen ? d.deviceId === chosen : d.default)) || null;
}

/** The picker is worth a row only when there is a choice. */
export const pickerShown = (options) => options.length > 1;

/** The name of the desktop that serves this page, or null. */
export function defaultDeviceId(devices) {
  const d = devices && devices.find((x) => x.default);
  return d ? d.deviceId : null;
}
