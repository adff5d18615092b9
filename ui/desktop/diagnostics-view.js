// The Diagnostics card in words. Pure (no DOM): unit-tested.

/** The checks' ids in the user's words (the same as `saytype doctor` prints). */
const NAMES = {
  session: 'Display session',
  route: 'Typing',
  clipboard: 'Clipboard',
  tray: 'Tray icon',
  autostart: 'Start at login',
  data_dir: 'Data folder',
  relay: 'SayType service',
  addresses: 'Network address',
  mdns: 'Discovery (mDNS)',
  firewall: 'Firewall',
};

export const checkName = (id) => NAMES[id] || id.replace(/_/g, ' ');

/** The line above the list: how many problems, or that all is well. */
export function diagnosticsSummary(report) {
  if (!report) return '';
  const failed = report.checks.filter((c) => !c.ok).length;
  if (!failed) return `All ${report.checks.length} checks passed.`;
  return failed === 1 ? '1 problem found; the fix is under it.' : `${failed} problems found; the fix is under each.`;
}
