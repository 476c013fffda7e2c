/* chatapp API calls from scripts: same origin, the session cookie, JSON both ways, and the
 * CSRF token (from the page's <meta name="csrf-token">) on anything that changes state. */

/** The page's CSRF token, for requests that change something. */
export function csrfToken() {
  return (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
}

/** ``method`` ``url`` with ``body`` as JSON (and the CSRF token): a promise of the answer's
 * body, or of the error as getJson's. */
export function sendJson(method, url, body) {
  return fetch(url, {
    method, credentials: "same-origin", body: JSON.stringify(body),
    headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
  }).then((response) => response.json().catch(() => ({})).then((answer) => {
    if (!response.ok) {
      throw answer.error || { code: "http_" + response.status, message: "HTTP " + response.status };
    }
    return answer;
  }));
}

/** GET ``url``: a promise of the answer's body. A refusal rejects with the service's error
 * ({code, message}; docs/api.md), anything else with {code: "http_<status>"}. */
export function getJson(url, signal) {
  return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" }, signal })
    .then((response) => response.json().catch(() => ({})).then((body) => {
      if (!response.ok) {
        throw body.error || { code: "http_" + response.status, message: "HTTP " + response.status };
      }
      return body;
    }));
}
