"""Starting and ending the browser session, shared by the pages and the API."""

from urllib.parse import urlsplit

from flask import current_app, g, request, session
from flask_babel import lazy_gettext as _l
from flask_login import login_user, logout_user

from ..errors import Forbidden
from ..models import User
from ..services import accounts


def log_in(user: User, remember: bool) -> None:
    """Put ``user`` in the session (and a remember-me cookie if asked); note the log-in."""
    if not login_user(user, remember=remember):
        raise Forbidden("This account is disabled.", code="account_disabled")
    rotate_csrf_token()
    accounts.record_login(user)


def rotate_csrf_token() -> None:
    """Forget the session's CSRF token; the next form or ``generate_csrf`` makes a new one.

    A token seen before log-in (on a shared computer, in a page someone kept) must not work
    for the logged-in session.
    """
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    session.pop(field, None)
    g.pop(field, None)


def log_out(user: User) -> None:
    """End this session and every other session of ``user``."""
    accounts.end_sessions(user)
    end_this_session()


def end_this_session() -> None:
    """Forget the login of this browser (the account's other sessions ended already)."""
    logout_user()
    rotate_csrf_token()


def refresh_session(user: User) -> None:
    """Re-issue this session after the user's session version moved (password change)."""
    # Unwrap current_user: handing Flask-Login its own proxy makes it point at itself.
    real = user._get_current_object() if hasattr(user, "_get_current_object") else user
    # A device that chose "keep me logged in" keeps it, with a cookie for the new version.
    remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
    login_user(real, remember=remembered, fresh=True)
    rotate_csrf_token()


def rate_limit(name: str):
    """A Flask-Limiter limit read from the config at request time."""
    return lambda: current_app.config[name]


def safe_next(target: str | None) -> str | None:
    """Only same-site paths are followed after log-in (no open redirect)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target


def init_login_manager(login_manager) -> None:
    """Load users from the session, refusing disabled users and revoked sessions."""
    from flask import flash, redirect, request, url_for

    from ..errors import NotAuthenticated, wants_json
    from ..extensions import db

    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Log in to see that page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(identity: str) -> User | None:
        # The identity is "user_id:session_version" (User.get_id); an old version is revoked.
        try:
            user_id, version = (int(part) for part in identity.split(":"))
        except (ValueError, AttributeError):
            return None
        user = db.session.get(User, user_id)
        if user is None or not user.is_active or user.session_version != version:
            return None
        return user

    @login_manager.unauthorized_handler
    def unauthorized():
        if wants_json():
            raise NotAuthenticated()
        target = request.full_path if request.query_string else request.path
        flash(login_manager.login_message, login_manager.login_message_category)
        return redirect(url_for("auth.login", next=target))
