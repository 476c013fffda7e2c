"""Guards at the HTTP edge against hostile input: the ``id`` URL converter, the JSON parser and
the media type of page forms.

They turn input that cannot be valid into the ordinary client errors (404 ``not_found``,
400 ``invalid_payload``, 415 ``unsupported_media_type``) before any view, schema or database
sees it.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import NotFound, UnsupportedMediaType
from werkzeug.routing import IntegerConverter, ValidationError

from .schemas import MAX_ID


class IdConverter(IntegerConverter):
    """``<id:chat_id>``: a row id, ASCII digits only and at most ``MAX_ID``; anything else 404s."""

    # ``\d`` of the stock ``int`` converter also matches full-width and other Unicode digits.
    regex = r"[0-9]+"

    def __init__(self, map, **kwargs) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, **kwargs)

    def to_python(self, value: str) -> int:
        """The id; a number past ``MAX_ID`` is 404, whatever the method."""
        try:
            return super().to_python(value)
        except ValidationError:
            # werkzeug answers a ValidationError with 405 when the same path has rules for
            # other methods (DELETE /api/chats/<huge>); no row has such an id, so: not found.
            raise NotFound() from None


def parse_id(value: str) -> int:
    """An id from a query string or form, read as the ``id`` converter reads one.

    Anything else raises ValueError, which ``request.args.get(name, type=parse_id)`` turns
    into its default and a WTForms ``coerce`` into a field error.
    """
    if not re.fullmatch(IdConverter.regex, value) or not 1 <= int(value) <= MAX_ID:
        raise ValueError(value)
    return int(value)


class SafeJSONProvider(DefaultJSONProvider):
    """The default provider, except that over-deep documents parse as invalid JSON."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse ``s``; a document nested past the interpreter's recursion limit is a ValueError."""
        try:
            return super().loads(s, **kwargs)
        except RecursionError as error:
            # request.get_json treats a ValueError as malformed input: 400, or None when silent.
            raise ValueError("JSON nested too deeply") from error


def refuse_json_on_pages() -> None:
    """Pages take form posts only; JSON goes to ``/api/``.

    Flask-WTF would read a JSON body as the form's data, and one that is not an object of
    strings (``false``, ``[1, 2]``, ``{"name": 5}``) crashes the form.
    """
    submitted = request.method in ("POST", "PUT", "PATCH", "DELETE")  # as Flask-WTF decides
    if submitted and request.is_json and not request.path.startswith("/api/"):
        raise UnsupportedMediaType("Pages take form posts; send JSON to /api/.")


def harden_input(app: Flask) -> None:
    """Install the guards; call before blueprints and other request hooks register."""
    app.url_map.converters["id"] = IdConverter
    app.json = SafeJSONProvider(app)
    app.before_request(refuse_json_on_pages)
