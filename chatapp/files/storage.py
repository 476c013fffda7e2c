"""Files in the upload folder, always under names the server generates.

No user-supplied name ever becomes part of a path. Writes go to a temporary file in the target
folder and are renamed into place, so a reader never sees half a file.
"""

import contextlib
import os
import secrets
import tempfile

from flask import current_app
from sqlalchemy import select

from ..errors import PayloadTooLarge
from ..extensions import db
from ..models import Message
from .detection import IMAGE

CHUNK = 64 * 1024
_REFERENCE_BATCH = 500  # stored names per look-up of the messages that still use them


def upload_root() -> str:
    return current_app.config["UPLOAD_FOLDER"]


def path_of(name: str) -> str:
    """Absolute path of a stored file name (as kept in the database)."""
    root = os.path.realpath(upload_root())
    path = os.path.realpath(os.path.join(root, name))
    if os.path.commonpath([root, path]) != root:
        raise ValueError(f"stored name escapes the upload folder: {name!r}")
    return path


def new_name(folder: str, suffix: str) -> str:
    """A fresh, unguessable stored name such as ``avatars/3f9c....png``."""
    return f"{folder}/{secrets.token_hex(16)}{suffix}"


def thumbnail_name(name: str) -> str:
    """The stored name of the thumbnail a stored file may have (see ``thumbnail_of``)."""
    return f"{os.path.splitext(name)[0]}.thumb.webp"


def thumbnail_of(kind: str, name: str | None) -> str | None:
    """The stored name of the thumbnail of a file of ``kind`` stored as ``name``, or None:
    only images have one (``kind`` as ``detection`` names it, equal to ``models.MsgType``)."""
    return thumbnail_name(name) if name and kind == IMAGE else None


def save_bytes(name: str, data: bytes) -> None:
    """Write ``data`` as the stored file ``name``, atomically."""
    path = path_of(name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".part-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def save_stream(name: str, stream, limit: int, code: str) -> int:
    """Copy an upload stream to the stored file ``name`` in chunks, never holding it whole;
    refuse it (leaving nothing behind) as soon as it passes ``limit`` bytes. Returns the size."""
    path = path_of(name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".part-")
    size = 0
    try:
        with os.fdopen(fd, "wb") as fh:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise PayloadTooLarge(
                        f"The file is larger than {limit // (1024 * 1024)} MB.", code=code)
                fh.write(chunk)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return size


def rename(old: str, new: str) -> None:
    """Move a stored file to another stored name."""
    os.replace(path_of(old), path_of(new))


def remove(name: str | None) -> None:
    """Delete a stored file if it is there."""
    if not name:
        return
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path_of(name))


def remove_unused(names) -> None:
    """After the commit that took files from messages (a recall, an erasure, a deleted chat):
    delete each stored file of ``names`` (messages' ``msg_file``), with its thumbnail, that no
    message refers to any more. A forwarded copy shares its original's stored file, so the
    file stays while any of them does. Run after the commit, so a copy forwarded meanwhile is
    seen (a forward share-locks its source, and a file none refers to cannot be forwarded)."""
    names = sorted({name for name in names if name})
    for start in range(0, len(names), _REFERENCE_BATCH):
        batch = names[start:start + _REFERENCE_BATCH]
        used = set(db.session.scalars(select(Message.msg_file).where(
            Message.msg_file.in_(batch)).distinct()))
        for name in batch:
            if name not in used:
                remove(name)
                remove(thumbnail_name(name))


def read_limited(stream, limit: int, code: str) -> bytes:
    """Read a whole upload stream, refusing it as soon as it passes ``limit`` bytes."""
    chunks, size = [], 0
    while chunk := stream.read(CHUNK):
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"The file is larger than {limit // 1024} KiB.", code=code)
        chunks.append(chunk)
    return b"".join(chunks)
