"""Serving files and thumbnails of chat messages, to members only.

A file is addressed by its message id, never by a path. Only raster images, audio and video
are shown inline; everything else (SVG and HTML included) is an attachment download. Range
requests work, so players can seek; the content never changes for an id, so browsers keep it.
"""

from flask import send_file
from flask_login import current_user, login_required

from .. import media, storage
from ..services import files
from . import bp

# A file response is never a page: no script, no plugins, no same-origin powers if opened.
FILE_CSP = "default-src 'none'; img-src 'self'; media-src 'self'; sandbox"
YEAR = 365 * 24 * 3600


def _serve(name: str, mime: str | None, download_name: str):
    inline = media.shown_inline(mime)
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
    message, name = files.file_of_message(current_user, msg_id)
    return _serve(name, message.file_mime, message.msg_text)


@bp.get("/files/<id:msg_id>/thumbnail")
@login_required
def thumbnail(msg_id):
    """The thumbnail of an image message (WebP)."""
    message, name = files.file_of_message(current_user, msg_id, thumbnail=True)
    return _serve(name, "image/webp", f"thumbnail-{message.msg_id}.webp")
