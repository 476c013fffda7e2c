"""JSON shapes of domain objects, shared by HTTP replies and Socket.IO events."""

import os

from flask import url_for

from .models import User


def avatar_url(user: User) -> str:
    """The avatar URL; it changes whenever the avatar does, so browsers may cache it."""
    version = os.path.splitext(os.path.basename(user.user_icon))[0][:12] if user.user_icon else "0"
    return url_for("auth.avatar", user_id=user.user_id, v=version)


def user_public(user: User) -> dict:
    """What any logged-in person may see of a user."""
    return {
        "user_id": user.user_id,
        "user_name": user.user_name,
        "avatar_url": avatar_url(user),
    }


def user_private(user: User) -> dict:
    """What a user sees of their own account."""
    return {
        **user_public(user),
        "user_email": user.user_email,
        "has_avatar": bool(user.user_icon),
        "register_time": user.register_time,
        "login_time": user.login_time,
    }
