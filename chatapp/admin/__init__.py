"""Site administration pages (``/admin``): server figures and accounts, for site admins only.

Everyone else, logged in or not, gets the same 404 as for a page that does not exist: the
pages' existence is not advertised. Every action is a CSRF-protected POST calling the same
services as the ``chatapp users`` commands.
"""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from . import views  # noqa: E402,F401  (routes register on import)
