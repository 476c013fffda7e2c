"""The spec's tables and member methods, on the real schema."""

import pytest
from sqlalchemy.exc import IntegrityError

from chatapp.extensions import db
from chatapp.models import Chat, Friendship, Membership, Message, MsgType, Privilege, User, now


@pytest.fixture
def group_rows(app, alice, bob, carol, mallory):
    """A group owned by alice with bob as admin and carol as member; mallory is outside."""
    with app.app_context():
        chat = Chat(chat_name="Team", is_private=False)
        db.session.add(chat)
        db.session.flush()
        for person, role in ((alice, Privilege.OWNER), (bob, Privilege.ADMIN),
                             (carol, Privilege.MEMBER)):
            db.session.add(Membership(user_id=person.user_id, chat_id=chat.chat_id, privilege=role))
        db.session.add_all([
            Friendship(user_id=alice.user_id, friend_id=bob.user_id),
            Friendship(user_id=bob.user_id, friend_id=alice.user_id),
        ])
        db.session.commit()
        return chat.chat_id


def test_chat_member_methods(app, group_rows, alice, bob, carol):
    with app.app_context():
        chat = db.session.get(Chat, group_rows)
        assert [m.user_id for m in chat.get_memberships()] == [alice.user_id, bob.user_id,
                                                               carol.user_id]
        assert [u.user_name for u in chat.get_members()] == ["alice", "bob", "carol"]
        assert chat.get_owner().user_name == "alice"
        assert [u.user_name for u in chat.get_admins()] == ["bob"]


def test_user_member_methods(app, group_rows, alice, bob, mallory):
    with app.app_context():
        a = db.session.get(User, alice.user_id)
        assert [c.chat_id for c in a.get_chats()] == [group_rows]
        assert [m.privilege for m in a.get_memberships()] == ["owner"]
        assert [u.user_name for u in a.get_friends()] == ["bob"]
        assert [u.user_name for u in db.session.get(User, bob.user_id).get_friends()] == ["alice"]
        loner = db.session.get(User, mallory.user_id)
        assert loner.get_chats() == [] and loner.get_friends() == []


def test_private_chat_has_no_owner(app, alice, bob):
    with app.app_context():
        chat = Chat(is_private=True)
        db.session.add(chat)
        db.session.flush()
        for person in (alice, bob):
            db.session.add(Membership(user_id=person.user_id, chat_id=chat.chat_id))
        db.session.commit()
        assert chat.get_owner() is None
        assert chat.get_admins() == []
        assert {u.user_name for u in chat.get_members()} == {"alice", "bob"}


@pytest.mark.parametrize(
    "row",
    [
        lambda a, b, c: Membership(user_id=a, chat_id=c, privilege="superuser"),
        lambda a, b, c: Membership(user_id=a, chat_id=c, privilege="owner"),  # duplicate member
        lambda a, b, c: Friendship(user_id=a, friend_id=a),
        lambda a, b, c: Friendship(user_id=a, friend_id=b),  # duplicate direction
        lambda a, b, c: Friendship(user_id=a, friend_id=999_999),  # foreign key
        lambda a, b, c: Message(sender_id=a, chat_id=c, seq=1, msg_type="sticker"),
        lambda a, b, c: Message(sender_id=a, chat_id=c, seq=1),  # duplicate position
    ],
    ids=["bad-privilege", "duplicate-membership", "self-friend", "duplicate-friendship",
         "dangling-foreign-key", "bad-msg-type", "duplicate-seq"],
)
def test_database_refuses_invalid_rows(app, group_rows, alice, bob, row):
    with app.app_context():
        db.session.add(Message(sender_id=alice.user_id, chat_id=group_rows, seq=1, msg_text="hi"))
        db.session.commit()
        db.session.add(row(alice.user_id, bob.user_id, group_rows))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_read_users_and_cascades(app, group_rows, alice, bob, carol):
    with app.app_context():
        message = Message(sender_id=alice.user_id, chat_id=group_rows, seq=1, msg_text="hello",
                          msg_type=MsgType.TEXT, create_time=now(), update_time=now())
        message.read_users.extend([db.session.get(User, bob.user_id),
                                   db.session.get(User, carol.user_id)])
        db.session.add(message)
        db.session.commit()
        assert {u.user_name for u in db.session.get(Message, message.msg_id).read_users} == {
            "bob", "carol"}

        # Deleting a user removes what is theirs (spec: on_delete=CASCADE), in the database.
        db.session.execute(db.delete(User).where(User.user_id == bob.user_id))
        db.session.commit()
        db.session.expire_all()
        assert [u.user_name for u in db.session.get(Message, message.msg_id).read_users] == [
            "carol"]
        assert db.session.scalar(
            db.select(db.func.count()).select_from(Friendship)) == 0
        db.session.execute(db.delete(Chat).where(Chat.chat_id == group_rows))
        db.session.commit()
        assert db.session.scalar(db.select(db.func.count()).select_from(Message)) == 0
        assert db.session.scalar(db.select(db.func.count()).select_from(Membership)) == 0
