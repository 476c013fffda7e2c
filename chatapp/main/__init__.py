"""The health and readiness probes (the home page is the chat list: chats/views.py)."""

from flask import Blueprint

bp = Blueprint("main", __name__)


@bp.route("/healthz")
def healthz():
    """Liveness probe: the process answers."""
    return {"status": "ok"}


@bp.route("/readyz")
def readyz():
    """Readiness probe for load balancers: the database answers, and the message queue (when
    one is configured) carries live events. 503 while either is down."""
    from sqlalchemy import text

    from ..extensions import db, socketio
    from ..message_queue import queue_state

    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except Exception:  # noqa: BLE001 - any failure: the database is not usable
        database = "down"
    finally:
        db.session.rollback()
    queue = queue_state(socketio)
    ready = database == "ok" and queue != "down"
    return {"status": "ok" if ready else "unavailable", "database": database,
            "queue": queue}, 200 if ready else 503
