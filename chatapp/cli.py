"""The ``chatapp`` command: ``serve`` and the administration commands.

    chatapp serve [--host H] [--port P]     serve HTTP and Socket.IO (gevent)
    chatapp db upgrade                      migrate the database (Flask-Migrate)
    chatapp users ... / search rebuild      accounts and the search index
    chatapp backup DEST / restore SRC       consistent online backups
    chatapp export FILE / import FILE       the whole server as a portable archive

``serve`` must monkey-patch the process before Flask or any library is imported, so it is
dispatched before anything else loads; every other command runs unpatched in Flask's CLI group,
with the app built from the same configuration as the server (environment, instance folder).
"""

import sys


def main(argv=None) -> None:
    """Entry point of the ``chatapp`` console script."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["serve"]:
        _serve(args[1:])
        return
    _group().main(args=args, prog_name="chatapp")


def _serve(args) -> None:
    from . import server  # first: importing it monkey-patches the process

    server.serve_command().main(args=args, prog_name="chatapp serve")


def _group():
    import os

    import click
    from flask.cli import FlaskGroup

    from . import create_app
    from .config import SERVE_HELP
    from .observability import setup_logging

    def build_app():
        app = create_app()
        setup_logging(app)  # as the server logs; migrations/env.py then keeps it
        return app

    group = FlaskGroup(name="chatapp", create_app=build_app, add_version_option=False,
                       load_dotenv=False, set_debug_flag=False,
                       help="Run and administer a chatapp server. The configuration is read "
                            "as the server reads it: CHATAPP_* environment variables and "
                            "instance/config.py (CHATAPP_INSTANCE_PATH moves the instance "
                            "folder).")

    # Not Flask's development server, nor options that load another app: this command is
    # chatapp's own.
    group.commands.pop("run", None)
    group.params = [param for param in group.params if param.name not in ("app", "debug")]

    # Flask-Migrate's db group, with chatapp's upgrade: under the lock, backed up first.
    from flask_migrate.cli import db as migrate_group

    from .commands import db_upgrade

    group._load_plugin_commands()  # else loading them later would put Flask-Migrate's back
    database = click.Group("db", help=migrate_group.help, commands=dict(migrate_group.commands))
    database.add_command(db_upgrade)
    group.add_command(database)

    @group.command("serve", help=SERVE_HELP, context_settings={"ignore_unknown_options": True})
    @click.argument("args", nargs=-1, type=click.UNPROCESSED)
    def serve(args):
        # Reached only when options came before "serve": start again with "serve" first, so
        # the process is patched before anything is imported.
        os.execv(sys.executable,  # noqa: S606 - this very program, args passed on as given
                 [sys.executable, "-m", "chatapp", "serve", *args])

    return group
