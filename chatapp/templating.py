"""Jinja helpers shared by every page."""

from datetime import UTC, datetime

from .payloads import avatar_url


def _datetime(timestamp: float | None) -> str:
    if timestamp is None:
        return ""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _isotime(timestamp: float | None) -> str:
    if timestamp is None:
        return ""
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")


def register_template_helpers(app) -> None:
    """Filters ``datetime`` and ``isotime`` (epoch seconds), and ``avatar_url(user)``."""
    app.jinja_env.filters["datetime"] = _datetime
    app.jinja_env.filters["isotime"] = _isotime
    app.jinja_env.globals["avatar_url"] = avatar_url
