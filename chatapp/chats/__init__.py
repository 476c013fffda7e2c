"""Chats: pages (``bp``) and JSON endpoints under /api (``api``)."""

from flask import Blueprint

bp = Blueprint("chats", __name__)
api = Blueprint("chats_api", __name__, url_prefix="/api")

from . import api_views, group_views, views  # noqa: E402,F401  (routes register on import)
