"""Account endpoints for programs: JSON in, JSON out, same services as the pages.

State-changing requests carry the CSRF token from ``GET /api/auth/csrf`` in an ``X-CSRFToken``
header, as the pages carry it in their forms; that keeps other sites from using a session.
"""

from flask import jsonify, request, send_file
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf

from ..errors import ValidationError
from ..extensions import limiter
from ..payloads import user_private
from ..schemas import (
    AccountDeleteIn,
    LoginIn,
    PasswordChangeIn,
    PasswordResetIn,
    ProfileIn,
    RegisterIn,
    load,
)
from ..services import account_deletion, accounts, export, mail
from . import api
from .session import end_this_session, log_in, log_out, rate_limit, refresh_session


def _json_body():
    return request.get_json(silent=True)


@api.get("/auth/csrf")
def csrf_token():
    """A CSRF token for this session, to send back as the X-CSRFToken header."""
    return jsonify(csrf_token=generate_csrf())


@api.post("/auth/register")
@limiter.limit(rate_limit("REGISTER_RATE_LIMIT"))
def register():
    """Create an account and log in to it."""
    data = load(RegisterIn, _json_body())
    user = accounts.register_user(data.user_name, data.password, data.email)
    log_in(user, remember=False)
    # Logging in rotated the CSRF token: the client needs the one of its new session.
    return jsonify(user=user_private(user), csrf_token=generate_csrf()), 201


@api.post("/auth/login")
@limiter.limit(rate_limit("LOGIN_RATE_LIMIT"))
def login():
    """Log in; ``remember`` keeps the session across browser restarts."""
    data = load(LoginIn, _json_body())
    user = accounts.authenticate(data.user_name, data.password)
    log_in(user, remember=data.remember)
    # The session changed, so the page needs the token that belongs to it.
    return jsonify(user=user_private(user), csrf_token=generate_csrf())


@api.post("/auth/password-reset")
@limiter.shared_limit(rate_limit("RESET_MAIL_RATE_LIMIT"), scope="reset_mail")
def request_password_reset():
    """Mail a reset link to the account with this user name or email, if there is one; the
    answer is the same either way."""
    data = load(PasswordResetIn, _json_body())
    mail.send_password_reset(data.name_or_email)
    return "", 202


@api.post("/auth/logout")
@login_required
def logout():
    """End this session and every other session of the user."""
    log_out(current_user)
    return "", 204


@api.get("/me")
@login_required
def me():
    """The logged-in user's own account."""
    return jsonify(user=user_private(current_user))


@api.patch("/me")
@login_required
def update_me():
    """Change the profile fields given (email; null or "" clears it)."""
    data = load(ProfileIn, _json_body())
    user = current_user
    if "email" in data.model_fields_set:
        user = accounts.update_profile(current_user, data.email)
    if "locale" in data.model_fields_set:
        user = accounts.set_locale(current_user, data.locale)
    return jsonify(user=user_private(user))


@api.delete("/me")
@login_required
def delete_me():
    """Delete one's own account (confirmed with the password); the session ends."""
    data = load(AccountDeleteIn, _json_body())
    account_deletion.delete_own_account(current_user, data.password)
    end_this_session()
    return "", 204


@api.post("/me/password")
@login_required
def change_password():
    """Change the password; other sessions end, this one continues."""
    data = load(PasswordChangeIn, _json_body())
    user = accounts.change_password(current_user, data.current_password, data.new_password)
    refresh_session(user)
    return jsonify(user=user_private(user), csrf_token=generate_csrf())


@api.put("/me/avatar")
@login_required
def put_avatar():
    """Upload a new avatar (multipart field ``avatar``)."""
    upload = request.files.get("avatar")
    if upload is None:
        raise ValidationError("Send the image as the multipart field 'avatar'.",
                              code="missing_file", field="avatar")
    user = accounts.set_avatar(current_user, upload.stream)
    return jsonify(user=user_private(user))


@api.delete("/me/avatar")
@login_required
def delete_avatar():
    """Go back to the default avatar."""
    user = accounts.remove_avatar(current_user)
    return jsonify(user=user_private(user))


@api.get("/me/export")
@login_required
def export_me():
    """A zip of the user's own data: profile, friends, chats and their messages, files."""
    done = export.export_for_download(current_user)
    response = send_file(done.file, mimetype="application/zip", as_attachment=True,
                         download_name=done.name, conditional=False)
    response.content_length = done.size
    response.cache_control.no_store = True  # personal data: no cache keeps a copy
    response.cache_control.private = True
    return response
