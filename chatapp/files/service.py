"""Files sent in chats: stored under generated names, classified by content, thumbnailed."""

import os

from flask import current_app
from sqlalchemy import select

from .. import rate_limits
from ..extensions import db
from ..models import Message, MsgType, User
from ..services.messages import append_message, check_can_send, send
from . import detection, images, storage


def post_file(user: User, chat_id: int, upload, original_name: str | None, client_msg_id: str
              ) -> tuple[dict, bool]:
    """Store an uploaded file and send it as a message; returns (message payload, created).

    The kind (image, audio, video, others) comes from the content. The original name is kept
    only as the message text; on disk the file has a name the server made. A retry with the
    same ``client_msg_id`` returns the first message and stores nothing.
    """
    earlier = check_can_send(user, chat_id, client_msg_id)  # before writing anything
    if earlier is not None:
        return earlier
    rate_limits.spend(user.user_id, "send", "upload")  # before storing anything
    db.session.rollback()  # end the read: the copy below holds no database transaction

    config = current_app.config
    incoming = storage.new_name("files", ".part")
    size = storage.save_stream(incoming, upload, config["UPLOAD_MAX_BYTES"], "file_too_large")
    stored = [incoming]
    try:
        detected = detection.detect(storage.path_of(incoming), config["IMAGE_MAX_PIXELS"])
        name = os.path.splitext(incoming)[0] + detected.extension
        storage.rename(incoming, name)
        stored = [name]
        thumbnail = storage.thumbnail_of(detected.kind, name)
        if thumbnail:
            storage.save_bytes(thumbnail,
                               images.thumbnail_webp(detected.image, config["THUMBNAIL_SIZE"]))
            stored.append(thumbnail)
        text = detection.clean_file_name(original_name)
        kind = MsgType(detected.kind)

        def build(membership):
            return append_message(membership.chat_id, user.user_id, kind, text,
                                  client_msg_id, name, file_mime=detected.mime, file_size=size,
                                  file_width=detected.width, file_height=detected.height)

        message, created = send(user, chat_id, client_msg_id, build, spend=())
    except BaseException:
        for leftover in stored:
            storage.remove(leftover)
        raise
    if not created:  # a retry raced this upload and won: this copy is not needed
        for leftover in stored:
            storage.remove(leftover)
    return message, created


def files_in_chat(chat_id: int) -> list[str]:
    """The stored files of a chat's messages, to let go with the chat
    (``storage.remove_unused``: a file forwarded to another chat stays)."""
    return list(db.session.scalars(select(Message.msg_file).where(
        Message.chat_id == chat_id, Message.msg_file.is_not(None))))
