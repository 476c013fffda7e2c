"""Command-line administration: ``flask --app chatapp users ...``."""

import click
from flask import current_app, url_for
from flask.cli import AppGroup, with_appcontext

from .errors import ChatappError
from .services import accounts, password_reset

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


@users.command("admin")
@click.argument("user_name")
@click.option("--revoke", is_flag=True, help="Take the role away instead.")
def make_admin(user_name, revoke):
    """Make an account a site administrator (the admin pages at /admin), or no longer one."""
    try:
        user = accounts.set_site_admin(user_name, not revoke)
    except ChatappError as error:
        _fail(error)
    click.echo(f"{user.user_name} is {'no longer' if revoke else 'now'} a site administrator.")


@users.command("delete")
@click.argument("user_name")
@click.option("--remove-messages", is_flag=True,
              help="Also remove the text and files of every message they sent.")
@click.confirmation_option(prompt="Delete this account? It cannot be undone.")
def delete_user(user_name, remove_messages):
    """Delete an account: personal data goes, messages stay from "Deleted user" (unless
    --remove-messages); its sessions and open sockets end at once."""
    from .services import account_deletion

    try:
        user = accounts.account_named(user_name)
        account_deletion.delete_account(user, by=user, remove_messages=remove_messages)
    except ChatappError as error:
        _fail(error)
    click.echo(f"Deleted {user_name}" + (" and their messages." if remove_messages else "."))


@users.command("list")
@click.argument("query", default="")
def list_users(query):
    """List accounts whose name starts with QUERY or whose email contains it."""
    from .services import administration

    page = 1
    while True:
        rows, more = administration.list_users(query, page)
        for user in rows:
            flags = [f for f, on in (("admin", user.is_admin), ("disabled", not user.is_active))
                     if on]
            click.echo(f"{user.user_id}\t{user.user_name}\t{user.user_email or ''}"
                       f"\t{','.join(flags)}")
        if not more:
            return
        page += 1


@users.command("reset-link")
@click.argument("user_name")
@click.option("--base-url", default=None,
              help="The address people use to reach this server.  [default: PUBLIC_URL, "
                   "else http://127.0.0.1:5000]")
def reset_link(user_name, base_url):
    """Print a signed, time-limited link that sets a new password (works once)."""
    try:
        user, token = password_reset.password_reset_token(user_name)
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


@click.command("backup")
@click.argument("dest", type=click.Path(file_okay=False, path_type=str))
def backup_command(dest):
    """Back up the database, the uploads and the secret key into DEST (a new folder), while
    the server keeps running."""
    from .backup import BackupError, backup

    try:
        manifest = backup(dest)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    counts = manifest["counts"]
    click.echo(f"Backed up {counts['users']} users, {counts['messages']} messages and "
               f"{len(manifest['files'])} files (schema {manifest['schema_revision']}) to {dest}.")


@click.command("restore")
@click.argument("src", type=click.Path(exists=True, file_okay=False, path_type=str))
def restore_command(src):
    """Restore the backup in SRC into this instance, which must be empty; then check it."""
    from .backup import BackupError, restore

    try:
        report = restore(src)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    counts = report["counts"]
    click.echo(f"Restored {counts['users']} users, {counts['messages']} messages and "
               f"{report['files']} files from {src} in {report['seconds']} s.")
    click.echo("Integrity check: ok. Row counts match the manifest.")
    if report["secret_key"]:
        click.echo("The backup's secret key is in place: sessions and reset links stay valid.")
    search = report["search"]
    if search["missing"] or search["stray"]:
        raise click.ClickException(
            f"The search index disagrees with the messages ({search['missing']} missing, "
            f"{search['stray']} stray): run chatapp search rebuild.")
    click.echo("Search index: in step with the messages.")


@click.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=str))
@with_appcontext
def export_command(file):
    """Export the whole server (rows and uploads, not the secret key) into FILE, a new zip
    that chatapp import loads on SQLite or PostgreSQL."""
    from .backup import BackupError
    from .transfer import UPLOADS, export_server

    try:
        manifest = export_server(file)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    counts = manifest["counts"]
    files = sum(entry["path"].startswith(f"{UPLOADS}/") for entry in manifest["files"])
    click.echo(f"Exported {counts['users']} users, {counts['messages']} messages and {files} "
               f"files ({manifest['engine']}, schema {manifest['schema_revision']}) to {file}.")


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=str))
@with_appcontext
def import_command(file):
    """Import the export FILE into this instance, which must be empty; then check it."""
    from .backup import BackupError
    from .transfer import import_server

    try:
        report = import_server(file)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    counts = report["counts"]
    click.echo(f"Imported {counts['users']} users, {counts['messages']} messages and "
               f"{report['files']} files from {file} ({report['source_engine']} to "
               f"{report['engine']}) in {report['seconds']} s.")
    click.echo("Row counts match the manifest; the search index is in step with the messages.")
    click.echo("The secret key is not part of an export: everyone logs in again.")


@click.command("upgrade")
@click.argument("revision", default="head")
@click.option("--no-backup", is_flag=True,
              help="Do not back up first, whatever BACKUP_BEFORE_MIGRATE says.")
@with_appcontext
def db_upgrade(revision, no_backup):
    """Upgrade the database to REVISION (default: the newest), under the migration lock; a
    database with data that is behind is backed up first (BACKUP_BEFORE_MIGRATE)."""
    from .backup import BackupError
    from .database import upgrade_database

    try:
        upgrade_database(current_app, backup_first=False if no_backup else None,
                         revision=revision)
    except (BackupError, OSError) as error:
        raise click.ClickException(f"Not upgraded: the backup before it failed: {error}") from None
