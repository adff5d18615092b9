// Calls to the relay: same origin, JSON in and out, the pairing token as a bearer
// token in the Authorization header (never in the URL). No DOM.

/** The headers of every call: the token (when there is one), plus any others. */
export function bearer(token, extra = {}) {
  return token ? { Authorization: `Bearer ${token}`, ...extra } : { ...extra };
}

/**
 * One call. Never throws: `status` 0 means no answer (network error, or no answer
 * within `timeoutMs`); `data` is the JSON answer, or null (204, or not JSON: a
 * captive portal, a proxy).
 * @returns {Promise<{status: number, ok: boolean, data: any}>}
 */
export async function request(method, path, { token, body, timeoutMs } = {}) {
  const abort = timeoutMs ? new AbortController() : null;
  const timer = abort ? setTimeout(() => abort.abort(), timeoutMs) : 0;
  try {
    const res = await fetch(path, {
      method,
      cache: 'no-store',
      headers: bearer(token, body === undefined ? {} : { 'Content-Type': 'application/json' }),
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: abort?.signal,
    });
    const data = res.status === 204 ? null : await res.json().catch(() => null);
    return { status: res.status, ok: res.ok, data };
  } catch {
    return { status: 0, ok: false, data: null };
  } finally {
    clearTimeout(timer);
  }
}

/** A refused call, with the relay's error code and message (PROTOCOL.md errors). */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** The ApiError for an answer that is not ok: the relay's code and message, else HTTP n. */
export function answerError({ status, data }) {
  const err = data && data.error;
  return new ApiError(status, err?.code || `HTTP_${status}`, err?.message || `HTTP ${status}`);
}
