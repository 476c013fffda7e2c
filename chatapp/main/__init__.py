"""The home page and the health probe."""

from flask import Blueprint
from flask_login import login_required

bp = Blueprint("main", __name__)


@bp.route("/")
@login_required
def index():
    """Home: the chat list, with a greeting.

    Rendered here rather than redirected to /chats, so "/" stays the address people land on
    after logging in or registering.
    """
    from ..chats.views import chat_list_page

    return chat_list_page(greeting=True)


@bp.route("/healthz")
def healthz():
    """Liveness probe for load balancers and the start script."""
    return {"status": "ok"}
