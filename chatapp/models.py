"""The tables of ``database-spec.md``: User, Message, Chat, Friendship, Membership.

Field names and member methods are the spec's. Timestamps are float epoch seconds, as the spec
says. Where the spec is too small for real use the column is wider; ``docs/data-model.md`` lists
every such change and every column added beside the spec's.
"""

import time
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db

# The column lengths are the limits on input, re-exported for older imports.
from .limits import (  # noqa: F401
    CHAT_NAME_MAX,
    FRIEND_NOTE_MAX,
    MSG_TEXT_MAX,
    USER_EMAIL_MAX,
    USER_NAME_MAX,
)

# BIGINT on PostgreSQL; on SQLite only INTEGER PRIMARY KEY auto-increments (it is 64-bit anyway).
BigId = BigInteger().with_variant(Integer(), "sqlite")



def now() -> float:
    """The current time as float epoch seconds, the spec's timestamp format."""
    return time.time()


class Privilege(StrEnum):
    """Membership.privilege: the three roles of the spec."""

    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"


class MsgType(StrEnum):
    """Message.msg_type: the five kinds of the spec, plus system notices."""

    TEXT = "text"
    IMAGE = "image"
    AUDIO = "audio"
    VIDEO = "video"
    OTHERS = "others"
    # Not in the spec: "alice added bob" and the like; msg_text holds the notice as JSON.
    SYSTEM = "system"


def _in_list(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


# Who a message mentions by id (the text holds <@user_id> tokens: renaming breaks nothing).
message_mentions = Table(
    "message_mentions",
    db.metadata,
    Column("msg_id", BigId, ForeignKey("messages.msg_id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", BigId, ForeignKey("users.user_id", ondelete="CASCADE"), primary_key=True),
    Index("ix_message_mentions_user_id", "user_id"),
)

message_reads = Table(
    "message_reads",
    db.metadata,
    Column("msg_id", BigId, ForeignKey("messages.msg_id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", BigId, ForeignKey("users.user_id", ondelete="CASCADE"), primary_key=True),
    Index("ix_message_reads_user_id", "user_id"),
)


class User(UserMixin, db.Model):
    """A person with an account."""

    __tablename__ = "users"

    user_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_name: Mapped[str] = mapped_column(String(USER_NAME_MAX), unique=True)
    # Case-folded user_name: makes "Alice" and "alice" one name, and backs prefix search.
    user_name_key: Mapped[str] = mapped_column(String(4 * USER_NAME_MAX), unique=True)
    # The Unicode confusable skeleton (UTS #39) of user_name_key: "аdmin" with a Cyrillic а has
    # the skeleton of "admin", so it cannot be registered beside it. NULL only for accounts
    # that predate the rule and collided with an older one.
    user_name_skeleton: Mapped[str | None] = mapped_column(String(8 * USER_NAME_MAX),
                                                           unique=True)
    # The spec's 50 characters cannot hold a password hash (scrypt's is ~160).
    password: Mapped[str] = mapped_column(String(255))
    register_time: Mapped[float] = mapped_column(Float, default=now)
    login_time: Mapped[float | None] = mapped_column(Float)
    user_email: Mapped[str | None] = mapped_column(String(USER_EMAIL_MAX))
    # File name of the PNG avatar inside the upload folder; NULL means the default avatar.
    user_icon: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    # Bumped by logout, password change and disabling: every older session stops working.
    session_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # When the user's last socket closed; NULL while never connected.
    last_seen: Mapped[float | None] = mapped_column(Float)
    # The language chosen in the profile ("en", "zh"); NULL follows the browser.
    locale: Mapped[str | None] = mapped_column(String(10))
    # A site administrator: the admin pages (set with `chatapp users admin`, or the first
    # account of an empty server). Not a chat role: those are Membership.privilege.
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # When the account was deleted. Its row stays, emptied of personal data, so the messages
    # it sent keep a sender ("Deleted user 17"); see docs/permissions.md.
    deleted_at: Mapped[float | None] = mapped_column(Float)

    def get_id(self) -> str:
        """Flask-Login identity: the id and the session version, so old cookies die."""
        return f"{self.user_id}:{self.session_version}"

    def get_memberships(self) -> list["Membership"]:
        """This user's memberships, oldest chat first."""
        stmt = select(Membership).where(Membership.user_id == self.user_id)
        return list(db.session.scalars(stmt.order_by(Membership.chat_id)))

    def get_friends(self) -> list["User"]:
        """This user's friends, by name (one Friendship row per direction, spec)."""
        stmt = (
            select(User)
            .join(Friendship, Friendship.friend_id == User.user_id)
            .where(Friendship.user_id == self.user_id)
            .order_by(User.user_name_key)
        )
        return list(db.session.scalars(stmt))

    def get_chats(self) -> list["Chat"]:
        """The chats this user is a member of, oldest first."""
        stmt = (
            select(Chat)
            .join(Membership, Membership.chat_id == Chat.chat_id)
            .where(Membership.user_id == self.user_id)
            .order_by(Chat.chat_id)
        )
        return list(db.session.scalars(stmt))

    def __repr__(self) -> str:
        return f"<User {self.user_id} {self.user_name!r}>"


class Chat(db.Model):
    """A conversation: private between two friends, or a named group."""

    __tablename__ = "chats"

    chat_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    chat_name: Mapped[str] = mapped_column(String(CHAT_NAME_MAX), default="", server_default="")
    create_time: Mapped[float] = mapped_column(Float, default=now)
    is_private: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # "<smaller user_id>:<larger user_id>" for private chats, NULL for groups: the unique index
    # makes "one private chat per pair of people" a rule of the database.
    private_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The seq of the newest message; the next message takes last_seq + 1 under the row's lock.
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # Time of the newest message (or of creation): orders the chat list.
    last_activity: Mapped[float] = mapped_column(Float, default=now, server_default="0")
    # The chat's change counter: every edit, recall or reaction of one of its messages takes
    # the next value and stamps it on the message (``Message.change_seq``), so a client that
    # missed events catches up on changes to old messages with "changed after N".
    last_change: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")

    def get_memberships(self) -> list["Membership"]:
        """Memberships of this chat, in the order people joined."""
        stmt = select(Membership).where(Membership.chat_id == self.chat_id)
        return list(db.session.scalars(stmt.order_by(Membership.id)))

    def get_members(self) -> list[User]:
        """The users in this chat, in the order they joined."""
        return self._users_with()

    def get_owner(self) -> User | None:
        """The owner of a group chat; private chats have none."""
        owners = self._users_with(Privilege.OWNER)
        return owners[0] if owners else None

    def get_admins(self) -> list[User]:
        """The admins of a group chat (the owner is not counted as an admin)."""
        return self._users_with(Privilege.ADMIN)

    def _users_with(self, privilege: Privilege | None = None) -> list[User]:
        stmt = (
            select(User)
            .join(Membership, Membership.user_id == User.user_id)
            .where(Membership.chat_id == self.chat_id)
            .order_by(Membership.id)
        )
        if privilege is not None:
            stmt = stmt.where(Membership.privilege == privilege)
        return list(db.session.scalars(stmt))

    def __repr__(self) -> str:
        return f"<Chat {self.chat_id} {self.chat_name!r}>"


class Message(db.Model):
    """One message in a chat: text, or a file whose original name is the text."""

    __tablename__ = "messages"
    __table_args__ = (
        # Position within the chat: the ordering key and the history paging index.
        UniqueConstraint("chat_id", "seq", name="uq_messages_chat_id_seq"),
        # A retried send carries the same client id: the second insert is refused.
        UniqueConstraint("sender_id", "client_msg_id",
                         name="uq_messages_sender_id_client_msg_id"),
        CheckConstraint(_in_list("msg_type", MsgType), name="msg_type"),
        Index("ix_messages_sender_id", "sender_id"),
        Index("ix_messages_chat_id_change_seq", "chat_id", "change_seq"),
        # Whether any message still refers to a stored file (forwarded copies share it).
        Index("ix_messages_msg_file", "msg_file"),
    )

    msg_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sender_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.user_id", ondelete="CASCADE"))
    chat_id: Mapped[int] = mapped_column(BigId, ForeignKey("chats.chat_id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(BigInteger)
    msg_text: Mapped[str] = mapped_column(String(MSG_TEXT_MAX), default="", server_default="")
    msg_file: Mapped[str | None] = mapped_column(String(255))
    msg_type: Mapped[str] = mapped_column(
        String(10), default=MsgType.TEXT, server_default=MsgType.TEXT.value
    )
    create_time: Mapped[float] = mapped_column(Float, default=now)
    update_time: Mapped[float] = mapped_column(Float, default=now)
    # The id the sending client chose, for idempotent retries (NULL for system notices).
    client_msg_id: Mapped[str | None] = mapped_column(String(64))
    # Set when the message was recalled; its text and file are gone, a placeholder stays.
    recalled_at: Mapped[float | None] = mapped_column(Float)
    recalled_by: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("users.user_id", ondelete="SET NULL"))
    # For file messages: what the content turned out to be, its size, and image dimensions
    # (so a page can reserve the space before the image loads).
    file_mime: Mapped[str | None] = mapped_column(String(100))
    file_size: Mapped[int | None] = mapped_column(BigInteger)
    file_width: Mapped[int | None] = mapped_column(Integer)
    file_height: Mapped[int | None] = mapped_column(Integer)
    # The chat's change position of this message's latest edit, recall or reaction (0: none).
    change_seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # When the text was last edited; earlier texts are in ``message_edits``.
    edited_at: Mapped[float | None] = mapped_column(Float)
    # The earlier message of the same chat this one answers (NULL once that one is deleted).
    reply_to_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("messages.msg_id", ondelete="SET NULL"))
    # Pinned to the chat (listed in its panel) since when, and by whom.
    pinned_at: Mapped[float | None] = mapped_column(Float)
    pinned_by: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("users.user_id", ondelete="SET NULL"))
    # A forwarded copy: who wrote the original (NULL for a message that is not a copy).
    forwarded_from_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("users.user_id", ondelete="SET NULL"))
    # "@all": the message mentions every member of the group (who mentions whom else is in
    # ``message_mentions``).
    mentions_all: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")

    sender: Mapped[User] = relationship(foreign_keys=[sender_id])
    forwarded_from: Mapped[User | None] = relationship(foreign_keys=[forwarded_from_id],
                                                       lazy="select")
    chat: Mapped[Chat] = relationship()
    read_users: Mapped[list[User]] = relationship(secondary=message_reads, lazy="select")
    reply_to: Mapped["Message | None"] = relationship(remote_side=[msg_id], lazy="select")

    def __repr__(self) -> str:
        return f"<Message {self.msg_id} chat={self.chat_id} seq={self.seq}>"


class MessageEdit(db.Model):
    """An earlier text of an edited message: the text it had until ``replaced_at``."""

    __tablename__ = "message_edits"
    __table_args__ = (Index("ix_message_edits_msg_id", "msg_id"),)

    edit_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    msg_id: Mapped[int] = mapped_column(BigId, ForeignKey("messages.msg_id", ondelete="CASCADE"))
    msg_text: Mapped[str] = mapped_column(String(MSG_TEXT_MAX))
    replaced_at: Mapped[float] = mapped_column(Float, default=now)


class Reaction(db.Model):
    """One person's emoji on a message (each person gives each emoji once)."""

    __tablename__ = "reactions"
    __table_args__ = (Index("ix_reactions_user_id", "user_id"),)

    msg_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("messages.msg_id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("users.user_id", ondelete="CASCADE"), primary_key=True)
    emoji: Mapped[str] = mapped_column(String(32), primary_key=True)
    create_time: Mapped[float] = mapped_column(Float, default=now)


class Friendship(db.Model):
    """One direction of a friendship: every friendship is two rows, (A, B) and (B, A)."""

    __tablename__ = "friendships"
    __table_args__ = (
        UniqueConstraint("user_id", "friend_id", name="uq_friendships_user_id_friend_id"),
        CheckConstraint("user_id <> friend_id", name="not_self"),
        Index("ix_friendships_friend_id", "friend_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.user_id", ondelete="CASCADE"))
    friend_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.user_id", ondelete="CASCADE"))
    update_time: Mapped[float] = mapped_column(Float, default=now)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    friend: Mapped[User] = relationship(foreign_keys=[friend_id])


class Notify(StrEnum):
    """Membership.notify: what of a chat notifies the member."""

    ALL = "all"            # every message from others
    MENTIONS = "mentions"  # only messages that mention them
    NONE = "none"          # nothing (the chat is muted; unread counts still show)


class Membership(db.Model):
    """A user's place in a chat, with the role they hold there."""

    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("user_id", "chat_id", name="uq_memberships_user_id_chat_id"),
        CheckConstraint(_in_list("privilege", Privilege), name="privilege"),
        CheckConstraint(_in_list("notify", Notify), name="notify"),
        Index("ix_memberships_chat_id", "chat_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.user_id", ondelete="CASCADE"))
    chat_id: Mapped[int] = mapped_column(BigId, ForeignKey("chats.chat_id", ondelete="CASCADE"))
    privilege: Mapped[str] = mapped_column(String(10), default=Privilege.MEMBER)
    update_time: Mapped[float] = mapped_column(Float, default=now)
    # The seq up to which this member has read the chat.
    last_read_seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # What of this chat notifies the member (muting is "none").
    notify: Mapped[str] = mapped_column(String(10), default=Notify.ALL,
                                        server_default=Notify.ALL.value)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    chat: Mapped[Chat] = relationship()


class FriendRequest(db.Model):
    """A pending friend request; it is deleted when accepted, declined or cancelled."""

    __tablename__ = "friend_requests"
    __table_args__ = (
        UniqueConstraint("sender_id", "receiver_id",
                         name="uq_friend_requests_sender_id_receiver_id"),
        CheckConstraint("sender_id <> receiver_id", name="not_self"),
        Index("ix_friend_requests_receiver_id", "receiver_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sender_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.user_id", ondelete="CASCADE"))
    receiver_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("users.user_id", ondelete="CASCADE")
    )
    note: Mapped[str] = mapped_column(String(FRIEND_NOTE_MAX), default="", server_default="")
    create_time: Mapped[float] = mapped_column(Float, default=now)

    sender: Mapped[User] = relationship(foreign_keys=[sender_id])
    receiver: Mapped[User] = relationship(foreign_keys=[receiver_id])


class UserSocket(db.Model):
    """A connected Socket.IO client of a user, so the server can move it between rooms.

    Rows live in the database, not in a per-process dict, so every server process sees them.
    """

    __tablename__ = "user_sockets"
    __table_args__ = (Index("ix_user_sockets_user_id", "user_id"),)

    sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.user_id", ondelete="CASCADE"))
    connected_at: Mapped[float] = mapped_column(Float, default=now)
    # The user's session_version when the socket connected: once the user's moves on (log-out,
    # password change, disabling), the socket belongs to an ended session and is cut.
    session_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # The serving process holding the socket (ServerProcess.process_id). When that process
    # dies without cleaning up, its sockets are reaped once its heartbeat is stale.
    process_id: Mapped[str | None] = mapped_column(String(64), index=True)


class ServerProcess(db.Model):
    """A serving process and its heartbeat: how the others learn that it died (kill -9, a
    crash, a lost machine) and reap the sockets it held, so nobody stays "online"."""

    __tablename__ = "server_processes"

    process_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    host: Mapped[str] = mapped_column(String(255), default="")
    pid: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[float] = mapped_column(Float, default=now)
    heartbeat_at: Mapped[float] = mapped_column(Float, default=now, index=True)
