"""The home page."""

from flask import Blueprint, render_template
from flask_login import current_user, login_required

bp = Blueprint("main", __name__)


@bp.route("/")
@login_required
def index():
    """The logged-in home page."""
    return render_template("home.html", user=current_user)


@bp.route("/healthz")
def healthz():
    """Liveness probe for load balancers and the start script."""
    return {"status": "ok"}
