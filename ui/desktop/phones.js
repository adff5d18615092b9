// The paired phones under the pairing card: each with its name (editable), when
// it was paired and last seen, and Revoke (that phone alone stops working).

import { $, fill, h } from '../lib/dom.js';
import { coalesce } from '../lib/coalesce.js';
import { api } from './session.js';
import { confirmBox, showError, toast } from './notes.js';
import { phoneLine, phonesSummary } from './phones-view.js';

let phones = [];

function row(phone) {
  const name = h('input', {
    className: 'phone-name', type: 'text', value: phone.name, maxLength: 60,
    'aria-label': 'Phone name', spellcheck: false, dataset: { id: phone.id },
  });
  name.addEventListener('change', () => rename(phone, name));
  name.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') name.blur();
  });
  const revoke = h('button', { className: 'btn small danger', type: 'button', dataset: { id: phone.id } }, 'Revoke');
  revoke.addEventListener('click', () => revokePhone(phone));
  return h('li', { className: 'phone', dataset: { id: phone.id } },
    h('div', { className: 'phone-main' }, name, h('span', { className: 'hint phone-times' }, phoneLine(phone))),
    revoke);
}

function render() {
  // A first run (no phone yet): the pairing card comes first.
  document.body.classList.toggle('first-pairing', phones.length === 0);
  $('paired-summary').textContent = phonesSummary(phones);
  fill($('paired-phones'), ...phones.map(row));
}

export const refreshPhones = coalesce(async () => {
  phones = await api('GET', '/ui/api/phones');
  render();
});

/** A phone was seen at `at`: its line says so at once. False if it is not listed. */
export function phoneSeen(id, at) {
  const phone = phones.find((p) => p.id === id);
  if (!phone) return false;
  phone.lastSeen = Math.max(phone.lastSeen || 0, at);
  redrawPhones();
  return true;
}

/** "last seen …" ages even when nothing happens. */
export function redrawPhones() {
  for (const li of $('paired-phones').querySelectorAll('li.phone')) {
    const phone = phones.find((p) => p.id === li.dataset.id);
    if (phone) li.querySelector('.phone-times').textContent = phoneLine(phone);
  }
}

async function rename(phone, input) {
  const name = input.value.trim();
  if (!name || name === phone.name) {
    input.value = phone.name;
    return;
  }
  try {
    phones = await api('PATCH', `/ui/api/phones/${encodeURIComponent(phone.id)}`, { name });
    render();
    toast(`Renamed to ${name}.`);
  } catch (err) {
    input.value = phone.name;
    showError(err);
  }
}

async function revokePhone(phone) {
  const ok = await confirmBox({
    title: `Revoke ${phone.name}?`,
    text: 'This phone stops working at once and is told it is not paired any more; your other phones keep working. To use it again, scan a new pairing code with it.',
    ok: 'Revoke',
    danger: true,
  });
  if (!ok) return;
  try {
    phones = await api('DELETE', `/ui/api/phones/${encodeURIComponent(phone.id)}`);
    render();
    toast(`${phone.name} revoked.`);
  } catch (err) {
    showError(err);
  }
}
