// Secrets in a page's address: links carry them in the fragment, so they never
// reach a server log or a Referer header. The desktop window's link carries the
// desktop token (`#token=…`, this machine only); a phone's pairing link carries a
// one-time pairing code (`#pair=…`, docs/sealed-link.md). Pure, except
// clearFragment.

/** The value of `name` in a fragment ("#name=…"), or null when there is none. */
export function fragmentParam(hash, name) {
  if (!hash) return null;
  return new URLSearchParams(hash.slice(1)).get(name);
}

/** The desktop token in a fragment ("#token=…"), or null. */
export const fragmentToken = (hash) => fragmentParam(hash, 'token');

/** The one-time pairing code in a fragment ("#pair=…"), or null. */
export const fragmentCode = (hash) => fragmentParam(hash, 'pair');

/** Take the fragment out of the address bar (and out of the history entry). */
export function clearFragment(state = null) {
  history.replaceState(state, '', location.pathname + location.search);
}

/** A code pasted on its own: URL-safe characters, 16 or more. */
export function looksLikeCode(text) {
  return /^[A-Za-z0-9._~-]{16,}$/.test(text);
}

/**
 * What a pasted pairing link (or bare code) means here, at `here` (a URL):
 * { code } to pair on this page, { go: href } for a link to another origin (the
 * code belongs there), or null when it is neither.
 */
export function readPairingInput(raw, here) {
  const text = raw.trim();
  let code = null;
  try {
    const url = new URL(text, here);
    code = fragmentCode(url.hash);
    if (code && url.origin !== new URL(here).origin) return { go: url.href };
  } catch {
    // not a URL: maybe the bare code
  }
  if (!code && looksLikeCode(text)) code = text;
  return code ? { code } : null;
}
