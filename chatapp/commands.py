"""Command-line administration: ``flask --app chatapp users ...``."""

import click
from flask import current_app, url_for
from flask.cli import AppGroup

from .errors import ChatappError
from .services import accounts

users = AppGroup("users", help="Create, disable and enable accounts; make password-reset links.")
search_commands = AppGroup("search", help="Maintain the message search index.")


def _fail(error: ChatappError):
    raise click.ClickException(f"{error.message} ({error.code})")


@users.command("create")
@click.argument("user_name")
@click.option("--email", default=None, help="Optional email address.")
@click.password_option(help="The password (asked for when not given).")
def create_user(user_name, email, password):
    """Create an account."""
    try:
        user = accounts.register_user(user_name, password, email)
    except ChatappError as error:
        _fail(error)
    click.echo(f"Created user {user.user_name} (id {user.user_id}).")


@users.command("disable")
@click.argument("user_name")
def disable_user(user_name):
    """Disable an account: it cannot log in and its sessions end at once."""
    try:
        user = accounts.set_user_active(user_name, False)
    except ChatappError as error:
        _fail(error)
    click.echo(f"Disabled {user.user_name}; their sessions have ended.")


@users.command("enable")
@click.argument("user_name")
def enable_user(user_name):
    """Enable a disabled account again."""
    try:
        user = accounts.set_user_active(user_name, True)
    except ChatappError as error:
        _fail(error)
    click.echo(f"Enabled {user.user_name}.")


@users.command("reset-link")
@click.argument("user_name")
@click.option("--base-url", default=None,
              help="The address people use to reach this server.  [default: PUBLIC_URL, "
                   "else http://127.0.0.1:5000]")
def reset_link(user_name, base_url):
    """Print a signed, time-limited link that sets a new password (works once)."""
    try:
        user, token = accounts.password_reset_token(user_name)
    except ChatappError as error:
        _fail(error)
    base_url = base_url or current_app.config["PUBLIC_URL"] or "http://127.0.0.1:5000"
    with current_app.test_request_context(base_url=base_url):
        link = url_for("auth.reset_password", token=token, _external=True)
    minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
    click.echo(f"Password-reset link for {user.user_name}, valid for {minutes} minutes:")
    click.echo(link)


@search_commands.command("rebuild")
def rebuild_search():
    """Index every message again (after a restore, or if the index was lost)."""
    from . import search
    from .database import write_transaction

    with write_transaction():
        count = search.rebuild()
    click.echo(f"Indexed {count} messages.")
