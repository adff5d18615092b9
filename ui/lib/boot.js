// A classic script (not a module), loaded before the page's module. A module whose
// graph misses one file never runs: a phone whose Wi-Fi changes while the page loads
// (Chromium aborts what is in flight with net::ERR_NETWORK_CHANGED) kept a page stuck
// at "Starting…", its pairing link unused. When the page's module fails to load,
// load the page again, up to 3 times, 1, 2 then 3 s apart (counted per tab, so a
// reload loop cannot run forever); then say so in the connection line, with a button.
// The page's module calls `booted()` (below, as `window.saytypeBooted`) once it runs.
// Nothing is lost on a reload: the outbox and pairing are in localStorage, and the
// address (with its #pair= code or #moving) stays as it is.
(function () {
  'use strict';
  var KEY = 'saytype.bootTries';
  var TRIES = 3;

  function tries() {
    try {
      return Number(sessionStorage.getItem(KEY)) || 0;
    } catch (e) {
      return TRIES; // no storage: no automatic reloads
    }
  }

  function setTries(n) {
    try {
      if (n) sessionStorage.setItem(KEY, String(n));
      else sessionStorage.removeItem(KEY);
    } catch (e) {
      // no storage
    }
  }

  function sayNotLoaded() {
    var line = document.getElementById('conn');
    var text = document.getElementById('conn-text');
    if (!line || !text) return;
    line.dataset.state = 'offline';
    line.dataset.boot = 'failed';
    text.textContent = 'Did not load completely. ';
    var button = document.createElement('button');
    button.type = 'button';
    button.className = 'btn-link';
    button.textContent = 'Reload';
    button.addEventListener('click', function () {
      location.reload();
    });
    text.appendChild(button);
  }

  // Error events of elements do not bubble: listen in the capture phase.
  document.addEventListener('error', function (event) {
    var el = event.target;
    if (!el || el.tagName !== 'SCRIPT' || el.type !== 'module') return;
    var n = tries();
    if (n >= TRIES) {
      sayNotLoaded();
      return;
    }
    setTries(n + 1);
    setTimeout(function () {
      location.reload();
    }, 1000 * (n + 1));
  }, true);

  window.saytypeBooted = function () {
    setTries(0);
  };
})();
