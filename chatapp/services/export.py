"""A user's own data as a zip: profile, friends, the chats they are in with the messages they
can read there, and their files (GDPR-style "download my data").

What goes in follows the app's read rules, not rules of its own: a chat is in the export when
the user has a membership of it, which is what lets them read its history
(``messages.history``); a group they left or were removed from is not theirs any more. A recalled
message is exported only as the fact of its recall, never its text or file.

The zip is written to a temporary file and each chat's messages are read in batches by
position and streamed into their entry, so memory does not grow with the history.
"""

import json
import os
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from .. import notices, rate_limits
from ..extensions import db, socketio
from ..files import detection, storage
from ..models import Chat, Friendship, Membership, Message, MsgType, User, now

BATCH = 500  # messages read per query

README = """\
Your chatapp data, exported {exported}.

profile.json       your account: name, email, registration and last log-in time, language,
                   and the path of your avatar in this archive (null: the default avatar).
friends.json       your friends, and since when.
chats.json         every chat you are in: name, private or group, your role, the members,
                   how many messages it has, and the file holding them.
chats/<id>.json    one chat and its messages, oldest first: every message you can read in
                   it, system notices included ("alice added bob"). A recalled message shows
                   only that it was recalled, and when.
files/avatar.png   your avatar, if you set one.
files/<chat id>/   the files sent in your chats, named <message id>-<original name>; each
                   message's "file.path" is the name here (null if the file was missing).

Times are given twice: "..._utc" in ISO 8601 (UTC), and the same instant in epoch seconds.
Groups you left are not included, as you can no longer read them in the app.
"""


@dataclass
class Export:
    """A finished export: the open zip file (at its start), its size and download name."""

    file: object
    size: int
    name: str


def export_for_download(user: User) -> Export:
    """Spend one export from the user's allowance (``EXPORT_RATE_LIMIT``) and write their zip
    to a temporary file, deleted when closed."""
    rate_limits.spend(user.user_id, "export")
    name = f"chatapp-export-{user.user_name}-{datetime.now(UTC):%Y-%m-%d}.zip"
    out = tempfile.TemporaryFile()  # noqa: SIM115 (the download closes it once sent)
    try:
        export_user_data(user, out)
    except BaseException:
        out.close()
        raise
    finally:
        db.session.rollback()  # end the long read: the download holds no transaction
    size = out.tell()
    out.seek(0)
    return Export(out, size, name)


def export_user_data(user: User, fileobj) -> None:
    """Write the zip of ``user``'s own data to the binary file ``fileobj``."""
    with zipfile.ZipFile(fileobj, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", README.format(exported=_utc(now())))
        avatar = _add_file(archive, user.user_icon, "files/avatar.png")
        _write_json(archive, "profile.json", _profile(user, avatar))
        _write_json(archive, "friends.json", {"friends": _friends(user)})
        summaries = []
        for membership in _memberships(user):
            summaries.append(_export_chat(archive, user, membership))
        _write_json(archive, "chats.json", {"chats": summaries})


def _utc(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    stamp = datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds")
    return stamp.replace("+00:00", "Z")


def _times(**fields) -> dict:
    """Each time as epoch seconds under its name and in ISO 8601 UTC under ``<name>_utc``."""
    return {key: value for name, epoch in fields.items()
            for key, value in ((name, epoch), (f"{name}_utc", _utc(epoch)))}


def _write_json(archive: zipfile.ZipFile, name: str, value) -> None:
    archive.writestr(name, json.dumps(value, ensure_ascii=False, indent=2))


def _add_file(archive: zipfile.ZipFile, stored: str | None, arcname: str) -> str | None:
    """Copy a stored file into the zip (stored as is: media are compressed already); its
    name in the zip, or None when there is none or it is missing from the upload folder."""
    if not stored:
        return None
    try:
        archive.write(storage.path_of(stored), arcname, compress_type=zipfile.ZIP_STORED)
    except FileNotFoundError:
        return None  # recalled or removed while the export ran
    return arcname


def _profile(user: User, avatar: str | None) -> dict:
    return {
        "user_id": user.user_id,
        "user_name": user.user_name,
        "email": user.user_email,
        "locale": user.locale,
        "avatar": avatar,
        **_times(register_time=user.register_time, login_time=user.login_time,
                 exported_at=now()),
    }


def _friends(user: User) -> list[dict]:
    rows = db.session.execute(
        select(User.user_id, User.user_name, Friendship.update_time)
        .join(Friendship, Friendship.friend_id == User.user_id)
        .where(Friendship.user_id == user.user_id).order_by(User.user_name_key))
    return [{"user_id": user_id, "user_name": name, **_times(since=since)}
            for user_id, name, since in rows]


def _memberships(user: User) -> list[Membership]:
    """The user's memberships with their chats: exactly the chats whose history they read."""
    return list(db.session.scalars(
        select(Membership).join(Chat, Chat.chat_id == Membership.chat_id)
        .options(contains_eager(Membership.chat))
        .where(Membership.user_id == user.user_id).order_by(Membership.chat_id)))


def _members(chat_id: int) -> list[dict]:
    rows = db.session.execute(
        select(User.user_id, User.user_name, Membership.privilege)
        .join(Membership, Membership.user_id == User.user_id)
        .where(Membership.chat_id == chat_id).order_by(Membership.id))
    return [{"user_id": user_id, "user_name": name, "role": role}
            for user_id, name, role in rows]


def _export_chat(archive: zipfile.ZipFile, user: User, membership: Membership) -> dict:
    """Write ``chats/<id>.json`` and the chat's files; the chat's entry for chats.json."""
    chat = membership.chat
    members = _members(chat.chat_id)
    peer = next((m for m in members if m["user_id"] != user.user_id), None)
    summary = {
        "chat_id": chat.chat_id,
        # As the app shows it: a private chat is called after the other person.
        "chat_name": peer["user_name"] if chat.is_private and peer else chat.chat_name,
        "is_private": chat.is_private,
        "role": membership.privilege,
        **_times(create_time=chat.create_time),
        "members": members,
        "messages_file": f"chats/{chat.chat_id}.json",
    }
    # Messages up to the chat's position now: one sent meanwhile belongs to a later export.
    last_seq = chat.last_seq
    head = json.dumps({key: value for key, value in summary.items()
                       if key != "messages_file"}, ensure_ascii=False)
    count = 0
    with archive.open(summary["messages_file"], "w", force_zip64=True) as entry:
        entry.write(f'{{"chat": {head},\n "messages": [\n'.encode())
        for batch in _batches(chat.chat_id, last_seq):
            for row in batch:
                entry.write(b",\n" if count else b"")
                entry.write(json.dumps(_message(row, chat.chat_id), ensure_ascii=False).encode())
                count += 1
        entry.write(b"\n]}\n")
    for msg_id, stored, name in _files(chat.chat_id, last_seq):
        _add_file(archive, stored, _file_path(chat.chat_id, msg_id, name))
    summary["message_count"] = count
    return summary


_COLUMNS = (Message.msg_id, Message.seq, Message.sender_id, User.user_name, Message.msg_type,
            Message.msg_text, Message.msg_file, Message.create_time, Message.recalled_at,
            Message.file_mime, Message.file_size, Message.file_width, Message.file_height)


def _batches(chat_id: int, last_seq: int):
    """The chat's messages up to ``last_seq`` as plain rows, ``BATCH`` at a time (each an
    index range on (chat_id, seq); rows, not ORM objects, so the session keeps none)."""
    after = 0
    while True:
        rows = db.session.execute(
            select(*_COLUMNS).join(User, User.user_id == Message.sender_id)
            .where(Message.chat_id == chat_id, Message.seq > after, Message.seq <= last_seq)
            .order_by(Message.seq).limit(BATCH)).all()
        if not rows:
            return
        yield rows
        after = rows[-1].seq
        socketio.sleep(0)  # a long export lets the process's other work run between batches


def _files(chat_id: int, last_seq: int):
    """(msg_id, stored name, original name) of the chat's files that were not recalled."""
    after = 0
    while True:
        rows = db.session.execute(
            select(Message.seq, Message.msg_id, Message.msg_file, Message.msg_text)
            .where(Message.chat_id == chat_id, Message.seq > after, Message.seq <= last_seq,
                   Message.msg_file.is_not(None), Message.recalled_at.is_(None))
            .order_by(Message.seq).limit(BATCH)).all()
        if not rows:
            return
        for _seq, msg_id, stored, name in rows:
            yield msg_id, stored, name
        after = rows[-1].seq
        socketio.sleep(0)


# Characters some systems refuse in file names (Windows), replaced when the zip is unpacked.
_UNSAFE_IN_NAMES = str.maketrans({ch: "_" for ch in '<>:"|?*'})


def _file_path(chat_id: int, msg_id: int, name: str) -> str:
    """The file's name in the zip: unique by message id, readable by its original name."""
    return f"files/{chat_id}/{msg_id}-{detection.clean_file_name(name).translate(_UNSAFE_IN_NAMES)}"


def _message(row, chat_id: int) -> dict:
    """One message as exported: a recalled one without its text or file."""
    body = {
        "msg_id": row.msg_id,
        "seq": row.seq,
        "sender": {"user_id": row.sender_id, "user_name": row.user_name},
        "msg_type": row.msg_type,
        **_times(create_time=row.create_time),
        "recalled": row.recalled_at is not None,
    }
    if row.recalled_at is not None:
        # Only the fact: whatever the row still holds stays out of the export.
        body.update(_times(recalled_at=row.recalled_at))
        return body
    if row.msg_type == MsgType.SYSTEM:
        body["notice"] = notices.decode(row.msg_text)
        body["text"] = notices.describe(body["notice"])
        return body
    body["text"] = row.msg_text
    if row.msg_file:
        present = os.path.exists(storage.path_of(row.msg_file))
        body["file"] = {
            "name": row.msg_text,
            "path": _file_path(chat_id, row.msg_id, row.msg_text) if present else None,
            "mime": row.file_mime,
            "size": row.file_size,
            "width": row.file_width,
            "height": row.file_height,
        }
    return body
