// The Settings form's rules and words. Pure (no DOM): unit-tested.

export const INJECT_HINTS = {
  auto: 'Types the text, or pastes it when it is long or unusual. Best for most people.',
  type: 'Key presses only: works in terminals and never touches your clipboard.',
  paste: 'Through the clipboard and Ctrl+V (Ctrl+Shift+V in terminals): instant for long texts.',
  none: 'Nothing is typed: messages are only kept in the history.',
};

/**
 * Whether the form (`form`: the values, `portText`: the port field as typed, so
 * "7373 " or "" count as changes too) differs from the saved settings.
 */
export function differs(form, portText, saved) {
  if (!saved) return false;
  return form.injectMode !== saved.injectMode || form.newline !== saved.newline
    || portText !== String(saved.port) || form.startAtLogin !== saved.startAtLogin
    || form.joinMessages !== saved.joinMessages || form.voiceCommands !== saved.voiceCommands
    || RETENTION.some(([key]) => form[key] !== saved[key]);
}

/** The history and hold fields: settings key, field id, lowest, highest, words. */
export const RETENTION = [
  ['historyDays', 's-days', 1, 3650, 'Keep the history for 1 to 3650 days.'],
  ['historyMaxMessages', 's-max', 10, 1000000, 'Keep 10 to 1,000,000 messages.'],
  ['holdAfterSeconds', 's-hold', 0, 86400, 'Hold after 0 (never) to 86,400 seconds.'],
];

/** What is wrong with the history and hold fields as typed (`texts`: id → text): [id, words] or null. */
export function retentionProblem(texts) {
  for (const [, id, low, high, words] of RETENTION) {
    const text = (texts[id] ?? '').trim();
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < low || n > high) return [id, words];
  }
  return null;
}

/** What is wrong with the port as typed, or null. */
export function portProblem(portText) {
  const text = portText.trim();
  const port = Number(portText);
  if (!/^\d+$/.test(text) || port < 1024 || port > 65535) return 'The port must be a number from 1024 to 65535.';
  return null;
}

/** "Saved. Applies from the next message. Port 8123 is used from the next start of SayType." */
export function savedText(before, applied) {
  const notes = ['Saved.'];
  const typing = ['injectMode', 'newline', 'joinMessages', 'voiceCommands'];
  if (before && typing.some((k) => applied[k] !== before[k])) {
    notes.push('Applies from the next message.');
  }
  if (before && applied.port !== before.port) notes.push(`Port ${applied.port} is used from the next start of SayType.`);
  if (before && RETENTION.some(([key]) => applied[key] !== before[key])) {
    notes.push('History and hold limits apply from the next start of SayType.');
  }
  return notes.join(' ');
}
