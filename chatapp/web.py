"""Helpers shared by the page views: showing a service's error to a person."""

from flask import flash

from .errors import ChatappError
from .i18n import error_text


def error_message(error: ChatappError) -> str:
    """The error's message in the page's language."""
    return error_text(error.code, error.message, error.details)


def flash_error(error: ChatappError) -> None:
    """Show the error at the top of the next page."""
    flash(error_message(error), "error")


def show_error(form, error: ChatappError) -> None:
    """Attach the error to the form field it is about, or flash it when it has none."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error_message(error)]
    else:
        flash_error(error)
