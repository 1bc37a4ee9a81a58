// api: same-origin fetch with the session cookie (wangge_session, HttpOnly),
// JSON in and out, and the server's one error shape turned into ApiError.

/** ApiError is a non-2xx answer: status, code ("topology", "not_found", …), message, details. */
export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** NetworkError is a request that got no answer (offline, server down, connection cut). */
export class NetworkError extends Error {}

/**
 * api calls method path with an optional body (JSON, or a FormData sent as
 * multipart as it is) and returns the parsed answer (null for 204).
 * @param {string} method
 * @param {string} path
 * @param {any} [body]
 * @param {Record<string, string>} [headers]
 */
export async function api(method, path, body, headers = {}) {
  /** @type {RequestInit & {headers: Record<string, string>}} */
  const init = { method, credentials: 'same-origin', headers: { ...headers } };
  if (body instanceof FormData) {
    init.body = body; // the browser writes the multipart boundary
  } else if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let r;
  try {
    r = await fetch(path, init);
  } catch (e) {
    throw new NetworkError(e.message);
  }
  if (r.status === 204) return null;
  const text = await r.text();
  let data;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!r.ok) {
    const e = (data && data.error) || {};
    throw new ApiError(r.status, e.code || String(r.status), e.message || r.statusText, e.details);
  }
  return data;
}

/** get is api('GET', path). */
export const get = (path) => api('GET', path);
