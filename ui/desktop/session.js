// This window's pairing token and its calls to /ui/api.
//
// The token arrives in the fragment (#token=…), so it never reaches a server log or
// a Referer; it is kept in sessionStorage (reloads work, closing forgets it) and
// removed from the address bar at once.

import { ApiError, answerError, request } from '../lib/api.js';
import { loadText, saveText } from '../lib/storage.js';
import { clearFragment, fragmentToken } from '../lib/token.js';

const TOKEN_KEY = 'saytype.token';

export const session = {
  token: '',
  /** While we rotate the token ourselves, a 401 may just mean "the old one": wait. */
  rotation: null,
  /** The relay refused our token: this window can do nothing more. */
  expired: false,
};

let onRejected = () => {};

/**
 * Take the token from #token=… (then hide it), or from this tab's earlier visit;
 * `rejected` runs once when the relay refuses it.
 */
export function openSession(rejected) {
  onRejected = rejected;
  const fromLink = fragmentToken(location.hash);
  if (fromLink) {
    storeToken(fromLink);
    // Out of the address bar, so it is not copied or shown by accident.
    clearFragment();
  } else {
    session.token = loadText('session', TOKEN_KEY);
  }
  return session.token;
}

export function storeToken(value) {
  session.token = value;
  saveText('session', TOKEN_KEY, value);
}

/**
 * The relay answered 401 to a call made with `used`. True: call again, a rotation of
 * ours had overtaken it. False: the token is no longer valid (said once).
 */
export async function retryAfter401(used) {
  if (session.rotation) await session.rotation.catch(() => {});
  if (session.token !== used) return true;
  tokenRejected();
  return false;
}

export function tokenRejected() {
  if (session.expired) return;
  session.expired = true;
  onRejected();
}

/** One API call with the token; JSON in and out; errors as ApiError with the relay's message. */
export async function api(method, path, body) {
  const used = session.token;
  const res = await request(method, path, { token: used, body });
  if (res.status === 0) throw new ApiError(0, 'OFFLINE', 'SayType is not answering. Is it still running?');
  if (res.status === 401) {
    if (await retryAfter401(used)) return api(method, path, body);
    throw new ApiError(401, 'UNAUTHORIZED', 'The pairing token was changed.');
  }
  if (!res.ok) throw answerError(res);
  return res.data;
}
