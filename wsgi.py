"""Production entry point: ``python wsgi.py`` serves chatapp on eventlet.

eventlet's monkey patching must come before anything else is imported, so that every socket,
lock and thread the app and its libraries create is cooperative. It stays confined to this file:
tests and ``flask`` commands run unpatched.
"""

import eventlet

eventlet.monkey_patch()

import logging  # noqa: E402
import os  # noqa: E402

from chatapp import create_app  # noqa: E402
from chatapp.database import upgrade_database  # noqa: E402
from chatapp.extensions import socketio  # noqa: E402
from chatapp.services.connections import forget_all_sockets  # noqa: E402

app = create_app()


def main() -> None:
    """Migrate the database to the newest schema, then serve until stopped."""
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if app.config["AUTO_MIGRATE"]:
        upgrade_database(app)
    if not app.config["SOCKETIO_MESSAGE_QUEUE"]:
        # A lone process starting has no live sockets: rows left by a crash are stale.
        with app.app_context():
            forget_all_sockets()
    host = os.environ.get("CHATAPP_HOST", "127.0.0.1")
    port = int(os.environ.get("CHATAPP_PORT", "5000"))
    app.logger.info("chatapp serving on http://%s:%s (database %s)", host, port,
                    app.config["SQLALCHEMY_DATABASE_URI"])
    socketio.run(app, host=host, port=port, log_output=True)


if __name__ == "__main__":
    main()
