// The desktop window: status, live history, pairing and settings, all from the
// relay's /ui/api on this machine. This file wires the cards (ui/desktop/*.js) to
// the page and to the live events.
//
// Rules the window's modules keep:
// - The CSP allows nothing inline and nothing external, so all behaviour is in
//   modules and all looks are classes in app.css.
// - Every piece of data (message text, device ids, user agents, error messages) goes
//   into the page as text (lib/dom.js), never as markup. The QR code (an SVG string
//   from the relay) is shown as an <img> data: URL, where no script in it could run.
// - The pairing token arrives in the fragment and is kept for this tab only
//   (desktop/session.js).

import { $ } from './lib/dom.js';
import { clearFragment, fragmentToken } from './lib/token.js';
import { openSession, session, storeToken } from './desktop/session.js';
import { copyWithFeedback, setLive, showBanner, showError } from './desktop/notes.js';
import { redrawStatus, refreshStatus, togglePause } from './desktop/status.js';
import {
  clearHistory, initHistoryKeys, loadMore, onRowAction, refreshMessage, reloadHistory, setFilter, updateEmpty,
} from './desktop/history.js';
import { refreshPairing, rotateToken } from './desktop/pairing.js';
import { phoneSeen, redrawPhones, refreshPhones } from './desktop/phones.js';
import { onSettingsChange, onSettingsInput, refreshSettings, saveSettings } from './desktop/settings.js';
import { startEvents, stopEvents } from './desktop/events.js';
import { runDiagnostics } from './desktop/diagnostics.js';

const quietly = (promise) => promise.catch(() => {});

/** The relay refused our token: it was rotated elsewhere (tray, another window). */
function locked() {
  stopEvents();
  document.body.classList.add('is-locked');
  $('pause').disabled = true;
  $('s-save').disabled = true;
  setLive('expired', 'Token changed');
  showBanner('This window can no longer talk to SayType.',
    'Its pairing token was replaced by a new one. Reopen the window from the tray menu (Open SayType).');
}

function reloadAll() {
  for (const load of [refreshStatus, reloadHistory, refreshSettings, refreshPairing, refreshPhones]) {
    load().catch((err) => {
      if (err.status !== 401 && err.code !== 'OFFLINE') showError(err);
    });
  }
}

/** One live event: refetch what it says changed. */
function onEvent(event) {
  switch (event.type) {
    case 'message':
      refreshMessage(event.id);
      quietly(refreshStatus()); // queued counts, phones seen
      break;
    case 'devices':
    case 'agent':
      quietly(refreshStatus());
      break;
    case 'settings':
      quietly(refreshSettings());
      quietly(refreshStatus()); // the injector line follows the mode
      break;
    case 'token':
      // Rotated here (then we already have the new one) or elsewhere (then the next
      // call gets a 401 and the banner says what to do).
      if (!session.rotation) {
        quietly(refreshStatus());
        quietly(refreshPairing());
      }
      break;
    case 'history':
      quietly(reloadHistory());
      break;
    case 'phones':
      // A phone paired (its code is used up: show a new one), renamed or revoked.
      quietly(refreshPhones());
      quietly(refreshPairing());
      break;
    case 'phoneSeen':
      // A paired phone made a call: its "last seen" (the relay says so at most once
      // per phone per 10 s).
      if (!phoneSeen(event.id, event.at)) quietly(refreshPhones());
      break;
    default:
  }
}

function start() {
  const token = openSession(locked);
  onSettingsChange(() => quietly(refreshStatus())); // a new mode is checked at once
  $('pause').addEventListener('click', togglePause);
  $('history').addEventListener('click', onRowAction);
  initHistoryKeys();
  $('filter').addEventListener('click', (event) => {
    const chip = event.target.closest('[data-filter]');
    if (chip) setFilter(chip.dataset.filter);
  });
  $('more').addEventListener('click', loadMore);
  $('clear').addEventListener('click', clearHistory);
  $('copy-link').addEventListener('click', () => copyWithFeedback($('pair-link').value, 'Pairing link'));
  $('pair-link').addEventListener('focus', (event) => event.target.select());
  $('rotate').addEventListener('click', rotateToken);
  $('diag-run').addEventListener('click', runDiagnostics);
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
    const fresh = fragmentToken(location.hash);
    if (!fresh) return;
    storeToken(fresh);
    clearFragment();
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
  startEvents(onEvent, reloadAll);
  // "seen 2 min ago" ages even when nothing happens.
  setInterval(() => {
    redrawStatus();
    redrawPhones();
  }, 30000);
}

start();
