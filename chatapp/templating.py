"""Jinja helpers shared by every page."""

import re
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from .formatting import preview_text
from .payloads import avatar_url


def _datetime(timestamp: float | None) -> str:
    if timestamp is None:
        return ""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _isotime(timestamp: float | None) -> str:
    if timestamp is None:
        return ""
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")


STATIC = Path(__file__).resolve().parent / "static"
_IMPORT = re.compile(r'^import [^;]*? from "(\.{1,2}/[^"]+)";$', re.M)


@cache
def module_graph(entry: str) -> tuple[str, ...]:
    """Every ES module ``entry`` (a path under static/) imports, directly or not, as static
    paths: base.html preloads them all at once (<link rel="modulepreload">) instead of the
    browser finding them one import level at a time."""
    seen: dict[str, None] = {}
    pending = [STATIC / entry]
    while pending:
        path = pending.pop()
        for target in _IMPORT.findall(path.read_text(encoding="utf-8")):
            found = (path.parent / target).resolve()
            name = found.relative_to(STATIC).as_posix()
            if name not in seen:
                seen[name] = None
                pending.append(found)
    return tuple(sorted(seen))


def register_template_helpers(app) -> None:
    """Filters ``datetime`` and ``isotime`` (epoch seconds), ``preview_text`` (a text message
    as a preview reads it: without its formatting, mentions by name), ``avatar_url(user)`` and
    ``module_graph(entry)``."""
    app.jinja_env.filters["datetime"] = _datetime
    app.jinja_env.filters["isotime"] = _isotime
    app.jinja_env.filters["preview_text"] = preview_text
    app.jinja_env.globals["avatar_url"] = avatar_url
    app.jinja_env.globals["module_graph"] = module_graph
