"""Friends: finding people, friend requests, and the two-row friendship of the spec."""

import unicodedata

from sqlalchemy import delete, or_, select

from .. import events, payloads, rate_limits
from ..access import active_user
from ..database import write_transaction
from ..errors import Conflict, NotFound, ValidationError
from ..extensions import db
from ..limits import PEOPLE_PAGE_MAX
from ..models import FRIEND_NOTE_MAX, FriendRequest, Friendship, User, now
from . import connections


def are_friends(user_id: int, other_id: int) -> bool:
    """Whether the two are friends (either row would do; both always exist together)."""
    return db.session.scalar(
        select(Friendship.id).where(Friendship.user_id == user_id,
                                    Friendship.friend_id == other_id)
    ) is not None


def search_users(user: User, query: str, after: str | None = None, limit: int = 20):
    """People whose name starts with ``query`` (ignoring case), by name, never oneself.

    Keyset paging: pass the ``next`` cursor of a page as ``after`` for the following page.
    """
    prefix = unicodedata.normalize("NFKC", query or "").strip().casefold()
    if not prefix:
        raise ValidationError("Type the beginning of a user name.", code="empty_query",
                              field="q")
    limit = max(1, min(limit, PEOPLE_PAGE_MAX))
    # A range on the indexed key instead of LIKE: exact prefix, index-friendly, no wildcards.
    stmt = (
        select(User)
        .where(User.user_name_key >= prefix, User.user_name_key < prefix + "\U0010ffff",
               User.user_id != user.user_id, User.is_active.is_(True))
        .order_by(User.user_name_key)
        .limit(limit + 1)
    )
    if after:
        stmt = stmt.where(User.user_name_key > after)
    users = list(db.session.scalars(stmt))
    next_cursor = users[limit - 1].user_name_key if len(users) > limit else None
    return users[:limit], next_cursor


def profile(viewer: User, user_id) -> dict:
    """Another person's card as ``viewer`` sees it: the public payload, presence, and how the
    two relate. Anyone active may be looked up (the people search finds them all anyway);
    disabled and deleted users are ``user_not_found``."""
    user = active_user(user_id)
    if user.user_id == viewer.user_id:
        relation = "self"
    elif are_friends(viewer.user_id, user.user_id):
        relation = "friend"
    elif db.session.scalar(select(FriendRequest.id).where(
            FriendRequest.sender_id == viewer.user_id,
            FriendRequest.receiver_id == user.user_id)):
        relation = "request_sent"
    elif db.session.scalar(select(FriendRequest.id).where(
            FriendRequest.sender_id == user.user_id,
            FriendRequest.receiver_id == viewer.user_id)):
        relation = "request_received"
    else:
        relation = "none"
    return {**payloads.user_public(user), **connections.presence([user.user_id])[user.user_id],
            "relation": relation}


def list_friends(user: User) -> list[User]:
    """The user's friends, by name."""
    return user.get_friends()


def list_requests(user: User) -> tuple[list[FriendRequest], list[FriendRequest]]:
    """Pending requests: (incoming, outgoing), newest first."""
    stmt = select(FriendRequest).order_by(FriendRequest.id.desc())
    incoming = db.session.scalars(stmt.where(FriendRequest.receiver_id == user.user_id))
    outgoing = db.session.scalars(stmt.where(FriendRequest.sender_id == user.user_id))
    return list(incoming), list(outgoing)


def send_friend_request(user: User, receiver_id, note: str = "") -> FriendRequest:
    """Ask someone to be friends, with an optional short note."""
    note = (note or "").strip()
    if len(note) > FRIEND_NOTE_MAX:
        raise ValidationError(f"A note has at most {FRIEND_NOTE_MAX} characters.",
                              code="note_too_long", field="note")
    rate_limits.spend(user.user_id, "friend_request")
    with write_transaction():
        receiver = active_user(receiver_id)
        if receiver.user_id == user.user_id:
            raise ValidationError("You cannot send yourself a friend request.",
                                  code="cannot_befriend_self")
        if are_friends(user.user_id, receiver.user_id):
            raise Conflict("You are already friends.", code="already_friends")
        if db.session.scalar(select(FriendRequest.id).where(
                FriendRequest.sender_id == user.user_id,
                FriendRequest.receiver_id == receiver.user_id)):
            raise Conflict("You already asked; the request is pending.",
                           code="request_pending")
        request = FriendRequest(sender_id=user.user_id, receiver_id=receiver.user_id,
                                note=note, create_time=now())
        db.session.add(request)
    events.friend_request_made(payloads.friend_request(request), user.user_id, receiver.user_id)
    return request


def _request_to(user: User, request_id: int) -> FriendRequest:
    request = db.session.get(FriendRequest, request_id)
    if request is None or request.receiver_id != user.user_id:
        raise NotFound("No such friend request.", code="request_not_found")
    return request


def _request_from(user: User, request_id: int) -> FriendRequest:
    request = db.session.get(FriendRequest, request_id)
    if request is None or request.sender_id != user.user_id:
        raise NotFound("No such friend request.", code="request_not_found")
    return request


def _pair(a: int, b: int):
    return or_(
        (FriendRequest.sender_id == a) & (FriendRequest.receiver_id == b),
        (FriendRequest.sender_id == b) & (FriendRequest.receiver_id == a),
    )


def accept_friend_request(user: User, request_id) -> User:
    """Accept a request addressed to ``user``: both friendship rows, in one transaction.

    Requests in both directions between the two are settled at once, so when both had asked,
    accepting either makes them friends exactly once.
    """
    with write_transaction():
        request = _request_to(user, request_id)
        sender = active_user(request.sender_id)
        settled = list(db.session.scalars(
            select(FriendRequest.id).where(_pair(user.user_id, sender.user_id))))
        db.session.execute(delete(FriendRequest).where(_pair(user.user_id, sender.user_id)))
        timestamp = now()
        db.session.add_all([
            Friendship(user_id=user.user_id, friend_id=sender.user_id, update_time=timestamp),
            Friendship(user_id=sender.user_id, friend_id=user.user_id, update_time=timestamp),
        ])
    for me, friend in ((user, sender), (sender, user)):
        events.friend_request_accepted(settled, me.user_id, payloads.user_public(friend))
    return sender


def decline_friend_request(user: User, request_id) -> None:
    """Decline a request addressed to ``user``."""
    _drop_request(lambda: _request_to(user, request_id), events.friend_request_declined)


def cancel_friend_request(user: User, request_id) -> None:
    """Withdraw a request ``user`` sent, while it is pending."""
    _drop_request(lambda: _request_from(user, request_id), events.friend_request_cancelled)


def _drop_request(load, announce) -> None:
    """Delete the request ``load`` finds, then tell both sides with ``announce`` (an event
    helper)."""
    with write_transaction():
        request = load()
        request_id, both = request.id, [request.sender_id, request.receiver_id]
        db.session.delete(request)
    announce(request_id, both)


def remove_friend(user: User, friend_id: int) -> User:
    """End a friendship: both rows go. Their private chat and its history stay."""
    with write_transaction():
        if not are_friends(user.user_id, friend_id):
            raise NotFound("That person is not your friend.", code="friend_not_found")
        friend = db.session.get(User, friend_id)
        db.session.execute(delete(Friendship).where(or_(
            (Friendship.user_id == user.user_id) & (Friendship.friend_id == friend_id),
            (Friendship.user_id == friend_id) & (Friendship.friend_id == user.user_id),
        )))
    events.friend_removed(friend_id, user.user_id)
    events.friend_removed(user.user_id, friend_id)
    return friend


def drop_all_friendships(user: User):
    """Inside the caller's write transaction: end every friendship and pending request of
    ``user`` (their account is being deleted). Returns what to announce after the commit."""
    friend_ids = list(db.session.scalars(select(Friendship.friend_id).where(
        Friendship.user_id == user.user_id)))
    requests = [(r.id, r.sender_id, r.receiver_id) for r in db.session.scalars(
        select(FriendRequest).where(or_(FriendRequest.sender_id == user.user_id,
                                        FriendRequest.receiver_id == user.user_id)))]
    db.session.execute(delete(Friendship).where(or_(Friendship.user_id == user.user_id,
                                                    Friendship.friend_id == user.user_id)))
    db.session.execute(delete(FriendRequest).where(or_(FriendRequest.sender_id == user.user_id,
                                                       FriendRequest.receiver_id == user.user_id)))

    def announce() -> None:
        for friend_id in friend_ids:
            events.friend_removed(user.user_id, friend_id)
        for request_id, sender_id, receiver_id in requests:
            announce_drop = (events.friend_request_cancelled if sender_id == user.user_id
                             else events.friend_request_declined)
            announce_drop(request_id, [sender_id, receiver_id])

    return announce
