"""Accounts: pages (``bp``) and JSON endpoints under /api (``api``)."""

from flask import Blueprint

bp = Blueprint("auth", __name__)
api = Blueprint("auth_api", __name__, url_prefix="/api")

from . import api_views, views  # noqa: E402,F401  (routes register on import)
