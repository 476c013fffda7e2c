/* chatapp API calls from scripts: same origin, the session cookie, JSON both ways, and the
 * CSRF token (from the page's <meta name="csrf-token">) on anything that changes state. */

/** The page's CSRF token, for requests that change something. */
export function csrfToken() {
  return (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
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
