"""Messages: sending (idempotent), history, read receipts, recall, typing.

Every message takes the next position (``seq``) of its chat inside the transaction that stores
it, under the chat row's write lock, so positions follow commit order; events carry the
position, and a client that missed some catches up with "everything after seq N".
"""

import re

from flask import current_app
from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from .. import observability, payloads, rate_limits, search
from ..access import access_chat, private_peer
from ..database import write_transaction
from ..errors import Conflict, Forbidden, NotFound, RateLimited, ValidationError
from ..extensions import db
from ..files import storage
from ..models import (
    MSG_TEXT_MAX,
    Chat,
    Membership,
    Message,
    MsgType,
    Privilege,
    User,
    message_reads,
    now,
)
from ..realtime import chat_room, emit
from .friends import are_friends

HISTORY_PAGE_MAX = 100
_CLIENT_ID_RE = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$")
# Control characters other than tab and newline have no place in a chat message.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def append_message(chat_id: int, sender_id: int, msg_type: MsgType, text: str,
                   client_msg_id: str | None = None, msg_file: str | None = None,
                   **file_fields) -> Message:
    """Add a message at the chat's next position; call inside a write transaction.
    ``file_fields``: the file's ``file_mime``, ``file_size``, ``file_width``, ``file_height``.

    The counter update takes the chat row's write lock, so positions are handed out in the
    order transactions commit, on SQLite and on PostgreSQL with several processes alike.

    Both statements are Core statements on the hot path (the ORM's unit of work and
    update synchronisation were a third of a send's CPU). The message returned is in the
    session as if loaded (nothing is flushed for it), so its relationships load as usual;
    a chat already in the session gets its new position and activity time.
    """
    timestamp = now()
    seq = db.session.execute(
        update(Chat.__table__)
        .where(Chat.__table__.c.chat_id == chat_id)
        .values(last_seq=Chat.__table__.c.last_seq + 1, last_activity=timestamp)
        .returning(Chat.__table__.c.last_seq)
    ).scalar_one()
    chat = db.session.identity_map.get(identity_key(Chat, chat_id))
    if chat is not None:
        set_committed_value(chat, "last_seq", seq)
        set_committed_value(chat, "last_activity", timestamp)
    values = {"chat_id": chat_id, "sender_id": sender_id, "seq": seq, "msg_type": msg_type,
              "msg_text": text, "msg_file": msg_file, "client_msg_id": client_msg_id,
              "create_time": timestamp, "update_time": timestamp, "recalled_at": None,
              "recalled_by": None, "file_mime": None, "file_size": None, "file_width": None,
              "file_height": None, **file_fields}
    table = Message.__table__
    msg_id = db.session.execute(insert(table).values(values).returning(table.c.msg_id)
                                ).scalar_one()
    message = Message(msg_id=msg_id, **values)
    make_transient_to_detached(message)
    db.session.add(message)
    search.index_message(message)
    return message


def clean_text(text) -> str:
    """Message text as stored: newlines normalised, trimmed, 1 to 1,000 characters."""
    if not isinstance(text, str):
        raise ValidationError("A message is text.", code="invalid_text", field="text")
    text = _CONTROL_RE.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip()
    if not text:
        raise ValidationError("A message cannot be empty.", code="empty_message", field="text")
    if len(text) > MSG_TEXT_MAX:
        raise ValidationError(f"A message has at most {MSG_TEXT_MAX} characters.",
                              code="message_too_long", field="text")
    return text


def check_client_msg_id(client_msg_id) -> str:
    if not isinstance(client_msg_id, str) or not _CLIENT_ID_RE.fullmatch(client_msg_id):
        raise ValidationError("client_msg_id is 1 to 64 letters, digits or _ . : -",
                              code="invalid_client_msg_id", field="client_msg_id")
    return client_msg_id


def ensure_can_post(user: User, membership: Membership) -> None:
    """Refuse new messages in a private chat whose friendship has ended."""
    chat = membership.chat
    if chat.is_private:
        peer = private_peer(chat, user)
        if peer is None or not are_friends(user.user_id, peer.user_id):
            raise Forbidden("You are no longer friends; add them again to send messages.",
                            code="not_friends")


def may_post(user: User, membership: Membership) -> bool:
    """Whether ``user`` may send in the chat now: what ``ensure_can_post`` would allow."""
    try:
        ensure_can_post(user, membership)
    except Forbidden:
        return False
    return True


def _earlier_send(user: User, client_msg_id: str, chat_id) -> Message | None:
    message = db.session.scalar(select(Message).where(
        Message.sender_id == user.user_id, Message.client_msg_id == client_msg_id))
    if message is not None and message.chat_id != chat_id:
        raise Conflict("That client_msg_id was already used in another chat.",
                       code="client_msg_id_reused", field="client_msg_id")
    return message


def _retry_answer(user: User, client_msg_id: str, chat_id) -> tuple[dict, bool] | None:
    """The answer to a retry of a message already stored, or None when there is none."""
    earlier = _earlier_send(user, client_msg_id, chat_id)
    return None if earlier is None else (payloads.message(earlier), False)


def check_can_send(user: User, chat_id, client_msg_id) -> tuple[dict, bool] | None:
    """Before any expensive work: refuse what ``send`` would refuse, and return the answer to
    a retry of a message already stored."""
    membership = access_chat(user, chat_id)
    earlier = _retry_answer(user, client_msg_id, membership.chat_id)
    if earlier is None:
        ensure_can_post(user, membership)
    return earlier


def send(user: User, chat_id, client_msg_id: str, build, spend=("send",)
         ) -> tuple[dict, bool]:
    """Store the message ``build(membership)`` makes, then tell the chat; returns
    (the message as members receive it, created). ``build`` runs inside the write transaction.

    A retry with the same ``client_msg_id`` returns the stored message and tells nobody again.
    Each send counts against the user's ``spend`` rate limits; a retry of a stored message is
    never refused for them.
    Sending counts as reading: the sender's read position moves to their message, and
    ``message_created`` says so (``sender_read_seq``) instead of a second event.

    The hot path (docs/architecture.md, "The send path"): one write transaction of six
    statements, no look-up of earlier sends (the unique key on (sender, client_msg_id) finds a
    retry: its insert fails, and only then is the stored message read), and the payload is
    built before the commit from values in hand, once for the event and the answer.
    """
    try:
        rate_limits.spend(user.user_id, *spend)  # before the write lock: see rate_limits.spend
    except RateLimited:
        # Over the limit: answer without taking the write lock, so that a flood from one
        # person costs the others' sends nothing. A retry of a stored message still gets it.
        earlier = _retry_answer(user, client_msg_id, access_chat(user, chat_id).chat_id)
        if earlier is None:
            raise
        return earlier
    sender = payloads.user_public(user)  # loaded for this request: no reload after the commit
    try:
        with write_transaction(keep=user):
            membership = access_chat(user, chat_id)
            try:
                ensure_can_post(user, membership)
            except Forbidden:
                # A retry of a message stored before the friendship ended is still answered.
                earlier = _retry_answer(user, client_msg_id, membership.chat_id)
                if earlier is None:
                    raise
                return earlier
            message = build(membership)
            _advance_read_position(membership, message.seq, own_message=message)
            payload = payloads.message(message, sender=sender)
    except IntegrityError:
        # A retry: the unique key refused a second message with this client_msg_id (sent
        # before, or just now on another process). Nothing was written; answer with the first.
        db.session.rollback()
        earlier = _retry_answer(user, client_msg_id, chat_id)
        if earlier is None:
            raise
        return earlier
    observability.count_message_stored(payload)
    emit("message_created", {"message": payload, "sender_read_seq": payload["seq"]},
         chat_room(payload["chat_id"]))
    return payload, True


def post_message(user: User, chat_id, text, client_msg_id) -> tuple[dict, bool]:
    """Send a text message; returns (message payload, created)."""
    text = clean_text(text)
    client_msg_id = check_client_msg_id(client_msg_id)
    return send(user, chat_id, client_msg_id, lambda membership: append_message(
        membership.chat_id, user.user_id, MsgType.TEXT, text, client_msg_id))


# --- read receipts -------------------------------------------------------------------------


def _insert_ignoring_duplicates(table):
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table))


def _advance_read_position(membership: Membership, up_to: int,
                           own_message: Message | None = None) -> bool:
    """Mark everything in the chat up to ``up_to`` read by the member: two statements and a
    position update, however many messages that is. Returns whether anything moved.

    ``own_message``: the member just sent it at ``up_to``. When it is the only message after
    their read position (the usual case in a conversation), one row says so; its update time
    is its creation time already.
    """
    old = membership.last_read_seq
    if up_to <= old:
        return False
    if own_message is not None and old == up_to - 1:
        db.session.execute(message_reads.insert().values(msg_id=own_message.msg_id,
                                                         user_id=membership.user_id))
        membership.last_read_seq = up_to
        return True
    in_range = and_(Message.chat_id == membership.chat_id, Message.seq > old,
                    Message.seq <= up_to, Message.msg_type != MsgType.SYSTEM)
    reads = _insert_ignoring_duplicates(message_reads).from_select(
        ["msg_id", "user_id"],
        select(Message.msg_id, db.literal(membership.user_id)).where(in_range),
    ).on_conflict_do_nothing()
    db.session.execute(reads)
    db.session.execute(update(Message).where(in_range).values(update_time=now()))
    membership.last_read_seq = up_to
    return True


def _announce_read(chat_id: int, user: User, up_to: int) -> None:
    emit("messages_read", {"chat_id": chat_id, "user_id": user.user_id, "up_to_seq": up_to},
         chat_room(chat_id))


def mark_read(user: User, chat_id, up_to_seq) -> int:
    """Mark the chat read up to ``up_to_seq`` (capped at its newest message); returns the
    member's read position. Moving backwards changes nothing."""
    if not isinstance(up_to_seq, int) or isinstance(up_to_seq, bool) or up_to_seq < 0:
        raise ValidationError("up_to_seq is a position in the chat.", code="invalid_seq",
                              field="up_to_seq")
    with write_transaction():
        membership = access_chat(user, chat_id, for_update=True)  # one mover at a time
        target = min(up_to_seq, membership.chat.last_seq)
        moved = _advance_read_position(membership, target)
        position, chat_id = membership.last_read_seq, membership.chat_id
    if moved:
        _announce_read(chat_id, user, position)
    return position


def receipts(user: User, chat_id, msg_id) -> dict:
    """Who of the chat's members has read a message, and how many have not."""
    membership = access_chat(user, chat_id)
    message = _message_in(membership.chat_id, msg_id)
    members = {m.user_id: m.user for m in membership.chat.get_memberships()}
    reader_ids = set(db.session.scalars(select(message_reads.c.user_id).where(
        message_reads.c.msg_id == message.msg_id)))
    others = [uid for uid in members if uid != message.sender_id]
    read_by = [members[uid] for uid in others if uid in reader_ids]
    return {
        "msg_id": message.msg_id,
        "read_by": [payloads.user_public(u) for u in read_by],
        "read_count": len(read_by),
        "unread_count": len(others) - len(read_by),
    }


# --- history -------------------------------------------------------------------------------


def _message_in(chat_id: int, msg_id) -> Message:
    message = db.session.scalar(select(Message).where(
        Message.chat_id == chat_id, Message.msg_id == msg_id)) if isinstance(msg_id, int) else None
    if message is None:
        raise NotFound("Message not found.", code="message_not_found")
    return message


def history(user: User, chat_id, *, before=None, after=None, around=None, limit=50) -> dict:
    """A page of a chat's messages, oldest first, by keyset on the chat's positions.

    Newest page (no cursor), ``before`` a position (scrolling up), ``after`` a position
    (catching up), or ``around`` a message id (jumping to a search hit). Each page is one index
    range scan on (chat_id, seq): as fast at depth 1,000,000 as at the top.
    """
    membership = access_chat(user, chat_id)
    limit = max(1, min(int(limit), HISTORY_PAGE_MAX))
    base = (select(Message).where(Message.chat_id == membership.chat_id)
            .options(joinedload(Message.sender)))

    def older(than, count):
        rows = list(db.session.scalars(base.where(Message.seq < than)
                                       .order_by(Message.seq.desc()).limit(count + 1)))
        return rows[:count][::-1], len(rows) > count

    def newer(than, count, inclusive=False):
        bound = Message.seq >= than if inclusive else Message.seq > than
        rows = list(db.session.scalars(base.where(bound).order_by(Message.seq).limit(count + 1)))
        return rows[:count], len(rows) > count

    if after is not None:
        messages, more_after = newer(after, limit)
        more_before = after > 0 and messages_exist(membership.chat_id, after)
    elif around is not None:
        anchor = _message_in(membership.chat_id, around)
        earlier, more_before = older(anchor.seq, limit // 2)
        later, more_after = newer(anchor.seq, limit - len(earlier), inclusive=True)
        messages = earlier + later
    else:
        top = before if before is not None else membership.chat.last_seq + 1
        messages, more_before = older(top, limit)
        more_after = before is not None and before <= membership.chat.last_seq
    return {
        "messages": [payloads.message(m) for m in messages],
        "has_more_before": more_before,
        "has_more_after": more_after,
        "last_seq": membership.chat.last_seq,
        "read_seq": membership.last_read_seq,
    }


CATCH_UP_PAGE = 100  # messages per chat in one catch_up answer


def catch_up(user: User, positions) -> list[dict]:
    """What the user missed in each chat after their last contiguous position there.

    ``positions`` is (chat_id, after) pairs. For each chat the user is a member of: up to
    ``CATCH_UP_PAGE`` messages with ``seq > after`` in order, and whether more follow (fetch
    those with history ``?after=``). A chat the user is not in answers ``chat_not_found``,
    exactly like one that does not exist.
    """
    results, seen = [], set()
    for chat_id, after in positions:
        if chat_id in seen:
            continue
        seen.add(chat_id)
        try:
            page = history(user, chat_id, after=after, limit=CATCH_UP_PAGE)
        except NotFound as error:
            results.append({"chat_id": chat_id, "error": error.to_dict()})
            continue
        results.append({"chat_id": chat_id, "messages": page["messages"],
                        "has_more_after": page["has_more_after"],
                        "last_seq": page["last_seq"]})
    return results


def messages_exist(chat_id: int, up_to_seq: int) -> bool:
    return db.session.scalar(select(Message.msg_id).where(
        Message.chat_id == chat_id, Message.seq <= up_to_seq).limit(1)) is not None


def unread_count(membership: Membership) -> int:
    """Messages from others after the member's read position (system notices do not count)."""
    return db.session.scalar(select(func.count()).select_from(Message).where(
        Message.chat_id == membership.chat_id, Message.seq > membership.last_read_seq,
        Message.msg_type != MsgType.SYSTEM, Message.sender_id != membership.user_id)) or 0


# --- recall --------------------------------------------------------------------------------


def recall_message(user: User, chat_id, msg_id) -> Message:
    """Withdraw a message: the sender within the recall window, or a group's owner or admin
    at any time. Its text and file are gone; a placeholder stays in its place."""
    window = current_app.config["RECALL_WINDOW_SECONDS"]
    with write_transaction():
        membership = access_chat(user, chat_id)
        message = _message_in(membership.chat_id, msg_id)
        if message.msg_type == MsgType.SYSTEM:
            raise ValidationError("Notices cannot be recalled.", code="cannot_recall_notice")
        if message.recalled_at is not None:
            raise Conflict("That message was already recalled.", code="already_recalled")
        moderator = (not membership.chat.is_private
                     and membership.privilege in (Privilege.OWNER, Privilege.ADMIN))
        if not moderator:
            if message.sender_id != user.user_id:
                raise Forbidden("You can only recall your own messages.",
                                code="not_your_message")
            if now() - message.create_time > window:
                raise Forbidden(f"Messages can be recalled for {window // 60} minutes only.",
                                code="recall_window_passed")
        old_file = message.msg_file
        search.unindex_messages([message.msg_id])
        message.msg_text, message.msg_file = "", None
        message.recalled_at, message.recalled_by = now(), user.user_id
        message.update_time = message.recalled_at
    for name in _files_of(old_file):
        storage.remove(name)
    emit("message_recalled", {"message": payloads.message(message)}, chat_room(message.chat_id))
    return message


def _files_of(stored: str | None) -> list[str]:
    """The stored files behind a message (the file, and its thumbnail when there is one)."""
    if not stored:
        return []
    return [stored, storage.thumbnail_name(stored)]


def erase_messages_of(user: User, by: User):
    """Inside the caller's write transaction: remove the text and files of every message
    ``user`` sent, as a recall by ``by`` (an administrator deleting the account with its
    messages). Returns what to announce after the commit."""
    erased = list(db.session.scalars(select(Message).where(
        Message.sender_id == user.user_id, Message.msg_type != MsgType.SYSTEM,
        Message.recalled_at.is_(None))))
    files = [name for message in erased for name in _files_of(message.msg_file)]
    search.unindex_messages([message.msg_id for message in erased])
    stamp = now()
    for message in erased:
        message.msg_text, message.msg_file = "", None
        message.recalled_at, message.recalled_by, message.update_time = stamp, by.user_id, stamp

    def announce() -> None:
        for name in files:
            storage.remove(name)
        for message in erased:
            emit("message_recalled", {"message": payloads.message(message)},
                 chat_room(message.chat_id))

    return announce


# --- typing --------------------------------------------------------------------------------


def notify_typing(user: User, chat_id, skip_sid: str | None = None) -> None:
    """Tell the chat's other members that ``user`` is typing (nothing is stored)."""
    membership = access_chat(user, chat_id)
    emit("typing", {"chat_id": membership.chat_id, "user": payloads.user_public(user)},
         chat_room(membership.chat_id), skip_sid=skip_sid)
