"""Typed domain errors with stable codes, mapped once to HTTP and once to Socket.IO acks.

Services raise these; views and socket handlers never build error replies themselves.
The ``code`` of each error is part of the API (docs/api.md lists them) and never changes.
"""

from __future__ import annotations

from typing import Any


class ChatappError(Exception):
    """Base of every domain error: an HTTP status, a stable code and a human message."""

    status = 400
    code = "bad_request"
    message = "The request could not be processed."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        field: str | None = None,
        details: Any = None,
        also: tuple[str, ...] = (),
    ):
        self.message = message or self.message
        self.code = code or self.code
        self.field = field
        self.details = details
        self.also = also  # other inputs the error is about (pages mark them); not in replies
        super().__init__(self.message)

    @property
    def fields(self) -> list[str]:
        """The inputs the error is about: its ``field`` (and ``also``), or each problem's that
        ``details`` lists (a schema's ``invalid_payload`` names every wrong field there)."""
        if self.field:
            return [self.field, *self.also]
        if not isinstance(self.details, list):
            return []
        return [d["field"] for d in self.details if isinstance(d, dict) and "field" in d]

    def to_dict(self) -> dict[str, Any]:
        """The ``error`` object of a JSON reply or a Socket.IO ack."""
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        if self.details is not None:
            body["details"] = self.details
        return body


class ValidationError(ChatappError):
    status = 400
    code = "invalid"
    message = "Some of the input is not valid."


class InvalidFields(ValidationError):
    """Several inputs of one form are wrong at once, so a person sees every mistake in one go.

    ``errors`` holds one error per problem, in the order of the form's fields; the error's own
    code, message, field and status are the first one's. Raise it with ``all_of``.
    """

    def __init__(self, errors: list[ChatappError]):
        first = errors[0]
        super().__init__(first.message, code=first.code, field=first.field, details=first.details)
        self.status = first.status
        self.errors = list(errors)

    @classmethod
    def all_of(cls, errors: list[ChatappError]) -> ChatappError:
        """The error to raise for ``errors``: a single one as itself, several together."""
        return errors[0] if len(errors) == 1 else cls(errors)

    def to_dict(self) -> dict[str, Any]:
        """The first error's object, with ``errors`` listing every one."""
        return {**super().to_dict(), "errors": [error.to_dict() for error in self.errors]}


class NotAuthenticated(ChatappError):
    status = 401
    code = "not_authenticated"
    message = "Log in first."


class InvalidCredentials(ChatappError):
    status = 401
    code = "invalid_credentials"
    message = "Wrong user name or password."


class Forbidden(ChatappError):
    status = 403
    code = "forbidden"
    message = "You are not allowed to do that."


class NotFound(ChatappError):
    status = 404
    code = "not_found"
    message = "Not found."


class Conflict(ChatappError):
    status = 409
    code = "conflict"
    message = "That conflicts with the current state."


class PayloadTooLarge(ChatappError):
    status = 413
    code = "too_large"
    message = "The upload is too large."


class RateLimited(ChatappError):
    """Too many of one action in a short time; ``details.retry_after`` says how many seconds
    to wait (HTTP also sends it as the ``Retry-After`` header)."""

    status = 429
    code = "rate_limited"
    message = "Too many requests. Wait a moment and try again."


class Unavailable(ChatappError):
    status = 503
    code = "unavailable"
    message = "That is not available on this server."


def socket_ack_error(error: ChatappError) -> dict[str, Any]:
    """The Socket.IO form of an error: an ack ``{"ok": false, "error": {...}}``."""
    from .observability import count_error

    count_error("socket", error.code)
    return {"ok": False, "error": error.to_dict()}


# --- mapping to HTTP -----------------------------------------------------------------------

_HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def wants_json() -> bool:
    """API paths and clients that ask for JSON get JSON errors; pages get HTML."""
    from flask import request

    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def register_errorhandlers(app) -> None:
    """Map domain errors, HTTP errors and crashes to JSON or to pages, in one place."""
    from flask import jsonify, render_template
    from flask_wtf.csrf import CSRFError
    from werkzeug.exceptions import HTTPException

    from .extensions import db
    from .i18n import error_text
    from .observability import count_error

    def reply(status: int, body: dict):
        count_error("http", body["code"])
        if wants_json():
            return jsonify(error=body), status
        shown = {**body, "message": error_text(body["code"], body["message"], body.get("details"))}
        return render_template("errors/error.html", status=status, error=shown), status

    @app.errorhandler(ChatappError)
    def handle_domain_error(error: ChatappError):
        response = reply(error.status, error.to_dict())
        if isinstance(error, RateLimited):
            body, status = response
            return body, status, {"Retry-After": str(error.details["retry_after"])}
        return response

    @app.errorhandler(CSRFError)
    def handle_csrf_error(error: CSRFError):
        body = {"code": "csrf_failed", "message": "The form expired or came from another site. "
                "Reload the page and try again."}
        return reply(400, body)

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException):
        status = error.code or 500
        code = _HTTP_CODES.get(status, "http_error")
        message = {
            404: "Not found.",
            413: "The upload is too large.",
            429: "Too many attempts. Wait a moment and try again.",
        }.get(status, error.description)
        return reply(status, {"code": code, "message": message})

    @app.errorhandler(Exception)
    def handle_crash(error: Exception):
        db.session.rollback()
        app.logger.exception("unhandled error")
        body = {"code": "internal_error", "message": "Something went wrong on our side."}
        return reply(500, body)
