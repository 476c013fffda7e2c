"""Response headers every page and file gets, and the per-request CSP nonce."""

import secrets

from flask import g, request


def csp_nonce() -> str:
    """This response's nonce: the only inline ``<script>`` that may run carries it."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def content_security_policy() -> str:
    """Scripts from this origin or with this response's nonce, never other inline script;
    connections to this origin's HTTP and WebSocket addresses only, named explicitly (older
    browsers do not count ws:// as 'self')."""
    host = request.host
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' 'nonce-{csp_nonce()}'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        f"connect-src 'self' ws://{host} wss://{host}",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def socket_origin_check(extra_origins):
    """Engine.IO origin check: the page's own origin, plus ``extra_origins``.

    A browser sends Origin with every WebSocket and polling request; a page on another site
    carries its own origin there, so cross-site sockets are refused (CSWSH). The own origin is
    the request's scheme and Host only: X-Forwarded-* headers never count here, because anyone
    can send them. Behind trusted proxies, ProxyFix has already put the public scheme and host
    into the environ (``trust_proxies`` in the app factory).
    """
    extra = {o.rstrip("/") for o in extra_origins}

    def allowed(origin, environ) -> bool:
        own = f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST', '')}"
        return origin == own or origin in extra

    return allowed


def register_security_headers(app) -> None:
    """No sniffing, no framing, no inline script, no leaking referrers."""

    @app.after_request
    def set_headers(response):
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Content-Security-Policy", content_security_policy())
        return response

    app.jinja_env.globals["csp_nonce"] = csp_nonce
