// The Settings card: the form, kept in step with changes made elsewhere (tray menu)
// unless the user is editing it.

import { $ } from '../lib/dom.js';
import { coalesce } from '../lib/coalesce.js';
import { api, session } from './session.js';
import { INJECT_HINTS, RETENTION, differs, portProblem, retentionProblem, savedText } from './settings-view.js';

let saved = null;
let onSaved = () => {};

/** The settings in force (as last loaded or saved), or null before the first answer. */
export const savedSettings = () => saved;

/** `fn` runs whenever the settings in force change. */
export function onSettingsChange(fn) {
  onSaved = fn;
}

function setSaved(s) {
  saved = s;
  onSaved(s);
}

function formSettings() {
  // Settings the form does not show (the voice command language) are sent back as saved.
  const form = {
    ...saved,
    injectMode: $('s-inject').value,
    newline: $('s-newline').value,
    port: Number($('s-port').value),
    startAtLogin: $('s-login').checked,
    joinMessages: $('s-join').checked,
    voiceCommands: $('s-commands').checked,
  };
  for (const [key, id] of RETENTION) form[key] = Number($(id).value);
  return form;
}

const retentionTexts = () => Object.fromEntries(RETENTION.map(([, id]) => [id, $(id).value]));

const isDirty = () => differs(formSettings(), $('s-port').value, saved);

function fillSettings(s) {
  saved = s;
  $('settings').dataset.loaded = 'true';
  $('s-inject').value = s.injectMode;
  $('s-newline').value = s.newline;
  $('s-port').value = String(s.port);
  $('s-login').checked = s.startAtLogin;
  $('s-join').checked = s.joinMessages;
  $('s-commands').checked = s.voiceCommands;
  for (const [key, id] of RETENTION) $(id).value = String(s[key]);
  onSettingsInput();
  onSaved(s);
}

function feedback(text, kind = '') {
  const box = $('s-feedback');
  box.textContent = text;
  box.dataset.kind = kind;
}

export function onSettingsInput() {
  $('s-inject-hint').textContent = INJECT_HINTS[$('s-inject').value] || '';
  const dirty = isDirty();
  $('s-save').disabled = !dirty || session.expired;
  if (dirty) feedback('Unsaved changes.', 'pending');
  else if ($('s-feedback').dataset.kind === 'pending') feedback('');
}

export const refreshSettings = coalesce(async () => {
  const s = await api('GET', '/ui/api/settings');
  // Changed elsewhere (tray menu): show it, unless the user is editing the form.
  if (!isDirty()) fillSettings(s);
  else setSaved(s);
});

export async function saveSettings(event) {
  event.preventDefault(); // never a real form submission (the CSP forbids it anyway)
  const problem = portProblem($('s-port').value);
  if (problem) {
    feedback(problem, 'error');
    $('s-port').focus();
    return;
  }
  const wrong = retentionProblem(retentionTexts());
  if (wrong) {
    feedback(wrong[1], 'error');
    $(wrong[0]).focus();
    return;
  }
  const before = saved;
  $('s-save').disabled = true;
  feedback('Saving…', 'pending');
  try {
    const applied = await api('PUT', '/ui/api/settings', formSettings());
    fillSettings(applied);
    feedback(savedText(before, applied), 'ok');
  } catch (err) {
    feedback(err.status === 401 ? 'Not saved: the token was changed.' : `Not saved: ${err.message}`, 'error');
    $('s-save').disabled = false;
  }
}
