"""Helpers shared by the page views of every blueprint: the button form, and showing a
service's error to a person."""

from flask import flash
from flask_wtf import FlaskForm

from .errors import ChatappError, InvalidFields
from .i18n import error_text


class EmptyForm(FlaskForm):
    """A form with only the CSRF token: the buttons that post (log out, remove an avatar,
    accept a request, remove a member...)."""


def error_message(error: ChatappError) -> str:
    """The error's message in the page's language."""
    return error_text(error.code, error.message, error.details)


def flash_error(error: ChatappError) -> None:
    """Show the error at the top of the next page."""
    flash(error_message(error), "error")


def mark_fields(form, error: ChatappError) -> None:
    """Flag the fields of a form fed by a schema or service that ``error`` is about, matched
    by the name they have in the query or form (``from``), so the page can point at them."""
    for field in form:
        if field.name in error.fields:
            field.errors = [*field.errors, error_message(error)]


def show_error(form, error: ChatappError) -> None:
    """Attach the error to the form field it is about, or flash it when it has none; each of
    several (``InvalidFields``) likewise. A field the form itself already flagged (left empty,
    say) keeps its own message alone."""
    for one in error.errors if isinstance(error, InvalidFields) else [error]:
        field = getattr(form, one.field, None) if one.field else None
        if field is None:
            flash_error(one)
        elif not field.errors:
            field.errors = [error_message(one)]
