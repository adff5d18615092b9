// The Status card (this desktop's agent, typing, relay, discovery, token, desktops,
// phones) and the pause button that controls the local agent.

import { $, fill, h } from '../lib/dom.js';
import { coalesce } from '../lib/coalesce.js';
import { api, session } from './session.js';
import { showError, toast } from './notes.js';
import {
  agentLabel, asksForGrant, deviceNotes, describeUserAgent, injectorLook, injectorView, mdnsView, phoneNotes,
  relayView, deviceLook, sortDevices,
} from './status-view.js';

/** The last status shown (redrawn as times age and when the settings change). */
let lastStatus = null;

const tag = (text, kind, title) => h('span', { className: `tag tag-${kind}`, title }, text);
const detail = (text) => h('span', { className: 'detail' }, text);
const muted = (text) => h('span', { className: 'muted' }, text);

function renderAgent(agent) {
  const pause = $('pause');
  if (!agent) {
    fill($('agent'), muted('No agent in this process (relay only).'));
    fill($('injector'), muted('Not here: agents on other desktops type.'));
    pause.disabled = true;
    pause.textContent = 'Pause typing';
    return;
  }
  const [label, kind] = agentLabel(agent.state);
  fill($('agent'),
    h('span', { className: 'mono' }, agent.deviceId), ' ',
    tag(label, kind),
    agent.detail ? detail(agent.detail) : null,
    agent.paused ? detail('Messages wait at the relay (queued) until you resume.') : null);
  const { works, text } = injectorView(agent);
  const [look, sign] = injectorLook(works);
  // The one button a route that asks for permission (the remote desktop portal)
  // needs: it opens the desktop's dialog.
  const grant = asksForGrant(agent)
    ? h('button', { type: 'button', id: 'grant-typing', className: 'primary', onclick: grantTyping }, 'Allow typing')
    : null;
  fill($('injector'),
    h('span', { className: look }, h('span', { className: 'sign', 'aria-hidden': 'true' }, sign), ' ', text),
    grant ? ' ' : null, grant);
  pause.disabled = session.expired;
  pause.setAttribute('aria-pressed', String(agent.paused));
  pause.textContent = agent.paused ? 'Resume typing' : 'Pause typing';
  pause.classList.toggle('primary', agent.paused);
  document.body.classList.toggle('is-paused', agent.paused);
}

function renderStatus(s) {
  lastStatus = s;
  $('version').textContent = s.version ? `v${s.version}` : '';
  const agent = s.localAgent;
  renderAgent(agent);

  const relay = relayView(s.relay);
  fill($('relay'), h('span', { className: 'mono' }, relay.where), detail(relay.note));

  const mdns = mdnsView(s.mdns);
  if (!mdns) fill($('mdns'), muted('Not available here.'));
  else fill($('mdns'), tag(mdns[0], mdns[1]), mdns[2] ? detail(mdns[2]) : null);

  fill($('token-state'), s.tokenPresent ? tag('Set', 'ok') : tag('Missing', 'bad'));

  // Desktops (agents) the relay knows.
  const devices = sortDevices(s.devices);
  $('devices').replaceChildren(...(devices.length ? devices.map((d) => h('li',
    { className: 'row', dataset: { device: d.deviceId, online: String(d.online), paused: String(Boolean(d.paused)) } },
    h('span', { className: `dot dot-${deviceLook(d)}`, 'aria-hidden': 'true' }),
    h('span', { className: 'row-main' },
      h('span', { className: 'row-name mono' }, d.deviceId),
      h('span', { className: 'row-sub' }, deviceNotes(d, agent?.deviceId))),
    d.queued ? tag(`${d.queued} queued`, 'wait') : null))
    : [h('li', { className: 'muted' }, 'No desktop has connected yet.')]));

  const phones = s.phones || [];
  $('phones').replaceChildren(...(phones.length ? phones.map((p) => h('li', { className: 'row', title: p.userAgent || '' },
    h('span', { className: 'dot dot-phone', 'aria-hidden': 'true' }),
    h('span', { className: 'row-main' },
      h('span', { className: 'row-name' }, describeUserAgent(p.userAgent)),
      h('span', { className: 'row-sub' }, phoneNotes(p)))))
    : [h('li', { className: 'muted' }, 'None in the last 24 hours.')]));
}

export const refreshStatus = coalesce(async () => {
  renderStatus(await api('GET', '/ui/api/status'));
});

/** Draw the last status again: "seen 2 min ago" ages. */
export function redrawStatus() {
  if (lastStatus) renderStatus(lastStatus);
}

/** Whether the pause button can be used now. */
export function pauseUsable() {
  return !session.expired && Boolean(lastStatus?.localAgent);
}

export async function togglePause() {
  const pause = $('pause');
  const paused = pause.getAttribute('aria-pressed') !== 'true';
  pause.disabled = true;
  try {
    await api('POST', '/ui/api/pause', { paused });
    toast(paused ? 'Typing paused: messages wait at the relay.' : 'Typing resumed.');
    await refreshStatus();
  } catch (err) {
    showError(err);
  } finally {
    pause.disabled = !pauseUsable();
  }
}

/** Ask for the permission to type (the desktop shows its dialog; the status follows). */
export async function grantTyping() {
  const button = $('grant-typing');
  if (button) button.disabled = true;
  try {
    await api('POST', '/ui/api/injector/grant');
    toast('Allow SayType in the dialog your desktop shows.');
  } catch (err) {
    showError(err);
    if (button) button.disabled = false;
  }
}
