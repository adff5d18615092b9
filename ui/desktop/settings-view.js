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
    || form.joinMessages !== saved.joinMessages || form.voiceCommands !== saved.voiceCommands;
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
  return notes.join(' ');
}
