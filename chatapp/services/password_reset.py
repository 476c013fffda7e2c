"""Password reset links: a signed token that lets a person set a new password once.

Made by an administrator (``chatapp users reset-link``, the admin pages) or mailed to the
person (services/mail.py, "Forgot password?"); it stops working after
``PASSWORD_RESET_MAX_AGE`` seconds and after any password change (it names the session
version).
"""

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ..errors import ValidationError
from ..extensions import db
from ..models import User
from .accounts import account_named, replace_password

_RESET_SALT = "chatapp.password-reset"


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_RESET_SALT)


def password_reset_token(user_name: str) -> tuple[User, str]:
    """Administration: a signed token that lets the user set a new password once."""
    user = account_named(user_name)
    return user, reset_token_for(user)


def reset_token_for(user: User) -> str:
    """A signed token that lets ``user`` set a new password once (until it expires)."""
    return _reset_serializer().dumps([user.user_id, user.session_version])


def user_for_reset_token(token: str) -> User:
    """The user a valid, unused, unexpired reset token belongs to."""
    max_age = current_app.config["PASSWORD_RESET_MAX_AGE"]
    try:
        user_id, version = _reset_serializer().loads(token, max_age=max_age)
    except SignatureExpired:
        raise ValidationError("This reset link has expired.", code="reset_link_expired") from None
    except (BadSignature, ValueError, TypeError):
        raise ValidationError("This reset link is not valid.", code="reset_link_invalid") from None
    user = db.session.get(User, user_id)
    # The session version moves on with every reset, so a link works once.
    if user is None or user.session_version != version or user.deleted_at is not None:
        raise ValidationError("This reset link is not valid.", code="reset_link_invalid")
    return user


def reset_password(token: str, new_password: str) -> User:
    """Set a new password through a reset link; every session of the user ends."""
    return replace_password(user_for_reset_token(token), new_password)
