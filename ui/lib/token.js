// The pairing token in a page's address: links carry it in the fragment
// (`#token=…`), so it never reaches a server log or a Referer header. Pure, except
// clearFragment.

/** The token in a fragment ("#token=…"), or null when there is none. */
export function fragmentToken(hash) {
  if (!hash) return null;
  return new URLSearchParams(hash.slice(1)).get('token');
}

/** Take the fragment out of the address bar (and out of the history entry). */
export function clearFragment(state = null) {
  history.replaceState(state, '', location.pathname + location.search);
}

/** A token pasted on its own: URL-safe characters, 16 or more. */
export function looksLikeToken(text) {
  return /^[A-Za-z0-9._~-]{16,}$/.test(text);
}

/**
 * What a pasted pairing link (or bare token) means here, at `here` (a URL):
 * { token } to pair on this page, { go: href } for a link to another origin (the
 * token belongs there), or null when it is neither.
 */
export function readPairingInput(raw, here) {
  const text = raw.trim();
  let token = null;
  try {
    const url = new URL(text, here);
    token = fragmentToken(url.hash);
    if (token && url.origin !== new URL(here).origin) return { go: url.href };
  } catch {
    // not a URL: maybe the bare token
  }
  if (!token && looksLikeToken(text)) token = text;
  return token ? { token } : null;
}
