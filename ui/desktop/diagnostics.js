// The Diagnostics card: the checks of `saytype doctor`, run when the user asks
// (the mDNS probe takes a few seconds, so never on its own).

import { $, fill, h } from '../lib/dom.js';
import { api } from './session.js';
import { checkName, diagnosticsSummary } from './diagnostics-view.js';
import { showError } from './notes.js';

function render(report) {
  $('diag-summary').textContent = diagnosticsSummary(report);
  fill(
    $('diag-list'),
    ...report.checks.map((c) => h(
      'li',
      { className: c.ok ? 'check ok' : 'check bad', dataset: { id: c.id } },
      h('span', { className: 'check-mark', 'aria-label': c.ok ? 'passed' : 'failed' }, c.ok ? '✓' : '✗'),
      h('div', { className: 'check-body' },
        h('strong', {}, checkName(c.id)),
        h('p', { className: 'check-summary' }, c.summary),
        c.fix ? h('p', { className: 'check-fix' }, `Fix: ${c.fix}`) : null),
    )),
  );
}

export async function runDiagnostics() {
  const button = $('diag-run');
  button.disabled = true;
  $('diag-summary').textContent = 'Checking…';
  try {
    render(await api('GET', '/ui/api/doctor'));
  } catch (err) {
    $('diag-summary').textContent = '';
    showError(err);
  } finally {
    button.disabled = false;
  }
}
