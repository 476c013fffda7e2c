"""Serving stored files: the files and thumbnails of chat messages, to members only, and
avatars, to logged-in people.

A file is addressed by its message id, never by a path. Only raster images, audio and video
are shown inline; everything else (SVG and HTML included) is an attachment download. Range
requests work, so players can seek; the content never changes for an id, so browsers keep it.
Every response here carries ``FILE_CSP``.
"""

import os

from flask import Blueprint, abort, current_app, request, send_file, send_from_directory
from flask_login import current_user, login_required

from ..access import active_user, file_of_message
from ..errors import NotFound
from . import detection, storage

bp = Blueprint("files", __name__)

# A file response is never a page: no script, no plugins, no same-origin powers if opened.
FILE_CSP = "default-src 'none'; img-src 'self'; media-src 'self'; sandbox"
YEAR = 365 * 24 * 3600


def _serve(name: str, mime: str | None, download_name: str):
    inline = detection.shown_inline(mime)
    response = send_file(
        storage.path_of(name),
        mimetype=mime if inline else "application/octet-stream",
        as_attachment=not inline,
        download_name=download_name,
        conditional=True,
        max_age=YEAR,
    )
    response.headers["Content-Security-Policy"] = FILE_CSP
    response.cache_control.private = True
    response.cache_control.public = False
    response.cache_control.immutable = True
    return response


@bp.get("/files/<id:msg_id>")
@login_required
def file(msg_id):
    """The file of a message."""
    message, name = file_of_message(current_user, msg_id)
    return _serve(name, message.file_mime, message.msg_text)


@bp.get("/files/<id:msg_id>/thumbnail")
@login_required
def thumbnail(msg_id):
    """The thumbnail of an image message (WebP)."""
    message, name = file_of_message(current_user, msg_id, thumbnail=True)
    return _serve(name, "image/webp", f"thumbnail-{message.msg_id}.webp")


@bp.get("/users/<id:user_id>/avatar")
@login_required
def avatar(user_id):
    """A user's avatar PNG, or the default avatar; disabled and deleted users have none."""
    try:
        user = active_user(user_id)
    except NotFound:
        abort(404)  # the same answer as for an id nobody has
    if not user.user_icon:
        response = current_app.send_static_file("img/default-avatar.svg")
    else:
        path = storage.path_of(user.user_icon)
        response = send_from_directory(
            os.path.dirname(path), os.path.basename(path), mimetype="image/png"
        )
    response.headers["Content-Security-Policy"] = FILE_CSP
    # The URL carries the avatar's version (payloads.avatar_url), so it can be cached.
    response.cache_control.private = True
    response.cache_control.max_age = 86400 if request.args.get("v") else 300
    return response
