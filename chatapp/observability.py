"""Observability: Prometheus metrics at ``/metrics``, one log line per request, the log format.

Metrics are kept per app, so per process: each serving process answers ``/metrics`` with its own
figures, and Prometheus scrapes every process on its own port (docs/deployment.md,
"Monitoring"). ``/metrics`` is not public: with ``METRICS_TOKEN`` set it needs
``Authorization: Bearer <token>``; without one it answers only requests made on the machine
itself, and everyone else gets the 404 of an unknown page.

The request log line is the app's own (the servers' access logs are off), so its format and its
redaction are ours: the path without its query string (search words are message content), and
the secret part of paths such as ``/reset/<token>`` replaced.
"""

from __future__ import annotations

import functools
import hmac
import ipaddress
import json
import logging
import re
import sys
import time
from datetime import UTC, datetime

from flask import Blueprint, Response, abort, current_app, has_app_context, request
from flask.signals import request_finished, request_started
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
    generate_latest,
)

from .config import ConfigError

# No "_created" series beside every counter and histogram: a second series each, for a start
# time Prometheus does not need (process_start_time_seconds says when the process started).
disable_created_metrics()

log = logging.getLogger("chatapp.requests")
bp = Blueprint("observability", __name__)

EXTENSION = "chatapp.metrics"
REDACTION_PATTERNS = "chatapp.redaction_patterns"
LOG_FORMATS = ("text", "json")
HTTP_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
# URL arguments that are secrets: their value never reaches a log line.
SECRET_URL_ARGS = ("token",)
REDACTED = "[redacted]"
# Settings whose values are secrets, by the end of their name (SECRET_KEY, METRICS_TOKEN,
# MAIL_PASSWORD): masked wherever they would appear in a log line.
SECRET_SETTING_SUFFIXES = ("_KEY", "_TOKEN", "_PASSWORD", "_SECRET")
SECRET_MIN_LENGTH = 8  # shorter values would mask ordinary words
# The password of a URL with credentials (postgresql://user:password@host, redis://:pw@host).
URL_PASSWORD = re.compile(r"(://[^/@\s:]*):[^/@\s]+@")


class Metrics:
    """The app's collectors, in a registry of their own."""

    def __init__(self, count_sockets):
        self.registry = registry = CollectorRegistry()
        ProcessCollector(registry=registry)  # memory, CPU, open files (on Linux)
        PlatformCollector(registry=registry)
        GCCollector(registry=registry)
        self.sockets = Gauge("chatapp_sockets_connected",
                             "Socket.IO connections open on this process.", registry=registry)
        self.sockets.set_function(count_sockets)
        self.messages = Counter("chatapp_messages_stored",
                                "Messages sent by people and stored by this process, by kind.",
                                ["kind"], registry=registry)
        self.send_seconds = Histogram(
            "chatapp_message_send_seconds",
            "From a send_message event or message POST received to its ack or response.",
            ["transport", "outcome"], registry=registry)
        self.http_seconds = Histogram(
            "chatapp_http_request_duration_seconds",
            "HTTP requests served by the app, by endpoint, method and status class.",
            ["endpoint", "method", "status"], registry=registry)
        self.search_seconds = Histogram("chatapp_search_duration_seconds",
                                        "Message searches that returned a page of results.",
                                        registry=registry)
        self.errors = Counter("chatapp_errors",
                              "Error replies by transport (http, socket) and stable error code.",
                              ["transport", "code"], registry=registry)
        for transport in ("socket", "http"):  # the series exist before the first send
            for outcome in ("ok", "error"):
                self.send_seconds.labels(transport=transport, outcome=outcome)


def register_observability(app) -> None:
    """Check the log settings, make the app's metrics, serve ``/metrics``, log every request."""
    from .extensions import socketio

    if app.config["LOG_FORMAT"] not in LOG_FORMATS:
        raise ConfigError(f"LOG_FORMAT is {app.config['LOG_FORMAT']!r}: use text or json.")
    server = socketio.server  # this app's Socket.IO server, made by init_app

    def count_sockets() -> int:
        return sum(1 for _ in server.manager.get_participants("/", None))

    app.extensions[EXTENSION] = Metrics(count_sockets)
    app.register_blueprint(bp)
    request_started.connect(_request_started, app)
    request_finished.connect(_request_finished, app)


def _metrics() -> Metrics | None:
    return current_app.extensions.get(EXTENSION) if has_app_context() else None


# --- hooks ---------------------------------------------------------------------------------


def count_message_stored(message: dict) -> None:
    """Count a message that was just committed (its payload)."""
    if metrics := _metrics():
        metrics.messages.labels(kind=message["msg_type"]).inc()


def count_error(transport: str, code: str) -> None:
    """Count an error reply with its stable code."""
    if metrics := _metrics():
        metrics.errors.labels(transport=transport, code=code).inc()


def times_send(transport: str):
    """Observe how long the decorated send handler takes to answer; a Socket.IO ack
    ``{"ok": false}`` or an exception counts as outcome "error"."""

    def decorate(handler):
        @functools.wraps(handler)
        def wrapper(*args, **kwargs):
            started, outcome = time.perf_counter(), "error"
            try:
                result = handler(*args, **kwargs)
                if not isinstance(result, dict) or result.get("ok", True):
                    outcome = "ok"
                return result
            finally:
                if metrics := _metrics():
                    metrics.send_seconds.labels(transport=transport, outcome=outcome).observe(
                        time.perf_counter() - started)

        return wrapper

    return decorate


def times_search(search):
    """Observe how long the decorated search takes, when it returns results."""

    @functools.wraps(search)
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        result = search(*args, **kwargs)
        if metrics := _metrics():
            metrics.search_seconds.observe(time.perf_counter() - started)
        return result

    return wrapper


# --- /metrics ------------------------------------------------------------------------------


@bp.get("/metrics")
def metrics():
    """The process's metrics in Prometheus's text format, for allowed scrapers only."""
    if not may_scrape():
        abort(404)
    body = generate_latest(current_app.extensions[EXTENSION].registry)
    return Response(body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def may_scrape() -> bool:
    """With ``METRICS_TOKEN``: the request carries it as a bearer token. Without: the request
    comes straight from this machine (a loopback address, and no proxy relayed it: behind a
    proxy on the same machine every visitor would come from loopback)."""
    token = current_app.config["METRICS_TOKEN"]
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(),
                                                                  token.encode())
    if "X-Forwarded-For" in request.headers or "Forwarded" in request.headers:
        return False
    return _is_loopback(request.remote_addr)


def _is_loopback(address: str | None) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return (mapped or ip).is_loopback


# --- requests: one log line, the HTTP histogram --------------------------------------------


def _request_started(app, **_extra) -> None:
    request.environ["chatapp.started"] = time.perf_counter()


def _request_finished(app, response, **_extra) -> None:
    started = request.environ.get("chatapp.started")
    seconds = time.perf_counter() - started if started is not None else 0.0
    endpoint = request.endpoint or "none"
    method = request.method if request.method in HTTP_METHODS else "other"
    status = response.status_code
    app.extensions[EXTENSION].http_seconds.labels(
        endpoint=endpoint, method=method, status=f"{status // 100}xx").observe(seconds)
    path = redact_path(request.path)
    milliseconds = round(seconds * 1000, 1)
    log.info("%s %s %s %s %.1f ms", request.remote_addr, request.method, path, status,
             milliseconds, extra={"fields": {
                 "remote_addr": request.remote_addr, "method": request.method, "path": path,
                 "status": status, "duration_ms": milliseconds, "endpoint": endpoint}})


def redact_path(path: str) -> str:
    """``path`` with the value of every secret URL argument replaced, whether or not the path
    matched its route (a reset link with a stray character is still a secret)."""
    for pattern in _secret_patterns(current_app):
        match = pattern.match(path)
        if match:
            for group in reversed(range(1, pattern.groups + 1)):
                path = path[:match.start(group)] + REDACTED + path[match.end(group):]
            return path
    return path


_PLACEHOLDER = re.compile(r"<(?:[^>:]+:)?([^>]+)>")


def _secret_patterns(app) -> list[re.Pattern]:
    """For each route with a secret argument, a pattern matching paths that start like it, the
    secrets as groups: ``/reset/<token>`` gives ``/reset/([^/]+)``. Worked out at the first
    request (every route exists then)."""
    patterns = app.extensions.get(REDACTION_PATTERNS)
    if patterns is None:
        patterns = []
        for rule in app.url_map.iter_rules():
            parts = _PLACEHOLDER.split(rule.rule)  # literal, name, literal, name, ..., literal
            names = parts[1::2]
            if not any(name in SECRET_URL_ARGS for name in names):
                continue
            regex = "".join(re.escape(part) if i % 2 == 0
                            else "([^/]+)" if part in SECRET_URL_ARGS else "[^/]+"
                            for i, part in enumerate(parts))
            patterns.append(re.compile(regex))
        app.extensions[REDACTION_PATTERNS] = patterns
    return patterns


# --- log set-up ----------------------------------------------------------------------------


def setup_logging(app_or_config, stream=None) -> logging.Handler:
    """Log INFO and up to standard error (or ``stream``), one line per record, in the format
    of ``LOG_FORMAT`` (text or json), secrets masked. For serving processes and the ``chatapp``
    command: it replaces the root logger's handlers (an earlier ``basicConfig``'s included),
    and with one configured, ``migrations/env.py`` leaves logging alone. Returns the handler."""
    from flask.logging import default_handler

    config = getattr(app_or_config, "config", app_or_config)
    kind = config.get("LOG_FORMAT", "text")
    if kind not in LOG_FORMATS:
        raise ConfigError(f"LOG_FORMAT is {kind!r}: use text or json.")
    formatter = JsonFormatter() if kind == "json" else TextFormatter()
    formatter.secrets = secret_values(config)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter)
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
    # Flask gives the app's logger a handler of its own when the root had none: it would
    # print every app line a second time, in another format.
    logging.getLogger("chatapp").removeHandler(default_handler)
    return handler


def secret_values(config) -> tuple[str, ...]:
    """The values of the settings that are secrets, long enough to mask safely."""
    return tuple(value for name, value in config.items()
                 if name.endswith(SECRET_SETTING_SUFFIXES) and isinstance(value, str)
                 and len(value) >= SECRET_MIN_LENGTH)


class _Masking(logging.Formatter):
    secrets: tuple[str, ...] = ()

    def mask(self, text: str) -> str:
        """``text`` without URL passwords and secret settings."""
        text = URL_PASSWORD.sub(r"\1:***@", text)
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text


class TextFormatter(_Masking):
    """``time LEVEL logger: message``, then any traceback."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        return self.mask(super().format(record))


class JsonFormatter(_Masking):
    """One JSON object per line: time (UTC), level, logger, message, the record's ``fields``
    (a request line's method, path, status, duration_ms ...) and any exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **getattr(record, "fields", {}),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        # Masked before encoding: JSON escapes would hide a secret from a search in the line.
        entry = {key: self.mask(value) if isinstance(value, str) else value
                 for key, value in entry.items()}
        return json.dumps(entry, ensure_ascii=False, default=str)
