"""Private chats and groups with roles: state in the database and who hears about it."""

import threading

import pytest
from sqlalchemy import select

from chatapp.extensions import db
from chatapp.models import Chat, Message
from tests.helpers import error_code, events, roles


def notices(app, chat_id):
    from chatapp import notices as n
    with app.app_context():
        rows = db.session.scalars(select(Message).where(Message.chat_id == chat_id)
                                  .order_by(Message.seq))
        return [(m.seq, n.describe(n.decode(m.msg_text))) for m in rows]


# --- private chats -------------------------------------------------------------------------


def test_private_chat_is_created_once_and_reused(app, api, sio, befriend, alice, bob):
    befriend(alice, bob)
    a, b = api(alice), api(bob)
    b_sock = sio(b)
    first = a.post("/api/chats/private", json={"user_id": bob.user_id})
    assert first.status_code == 201
    chat = first.get_json()["chat"]
    assert chat["is_private"] and chat["chat_name"] == "bob"
    assert chat["other_user"]["user_name"] == "bob"
    assert {m["user"]["user_name"] for m in chat["members"]} == {"alice", "bob"}
    created = events(b_sock, "chat_created")
    assert created[0]["chat"]["chat_id"] == chat["chat_id"]
    assert created[0]["chat"]["chat_name"] == "alice"  # each side sees the other's name

    again = b.post("/api/chats/private", json={"user_id": alice.user_id})
    assert again.status_code == 200
    assert again.get_json()["chat"]["chat_id"] == chat["chat_id"]
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Chat)) == 1


def test_private_chat_opened_by_both_at_once_is_one_chat(app, api, befriend, alice, bob):
    befriend(alice, bob)
    clients = [(api(alice), bob.user_id), (api(bob), alice.user_id)] * 3
    results, barrier = [], threading.Barrier(len(clients))

    def open_chat(client, other):
        barrier.wait()
        response = client.post("/api/chats/private", json={"user_id": other})
        results.append((response.status_code, response.get_json()["chat"]["chat_id"]))

    threads = [threading.Thread(target=open_chat, args=c) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({chat_id for _, chat_id in results}) == 1
    assert sorted(status for status, _ in results) == [200] * 5 + [201]
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Chat)) == 1


def test_database_allows_one_private_chat_per_pair(app):
    from sqlalchemy.exc import IntegrityError
    with app.app_context():
        db.session.add_all([Chat(is_private=True, private_key="1:2"),
                            Chat(is_private=True, private_key="1:2")])
        with pytest.raises(IntegrityError):
            db.session.commit()


def test_private_chat_needs_a_friend(api, alice, bob):
    response = api(alice).post("/api/chats/private", json={"user_id": bob.user_id})
    assert response.status_code == 403 and error_code(response) == "not_friends"
    response = api(alice).post("/api/chats/private", json={"user_id": alice.user_id})
    assert response.status_code == 400 and error_code(response) == "cannot_chat_self"


def test_private_chat_history_stays_after_unfriending_but_posting_is_refused(
        app, api, befriend, alice, bob):
    befriend(alice, bob)
    a = api(alice)
    chat_id = a.post("/api/chats/private", json={"user_id": bob.user_id}).get_json()["chat"][
        "chat_id"]
    a.delete(f"/api/friends/{bob.user_id}")
    assert api(bob).get(f"/api/chats/{chat_id}").status_code == 200  # still readable
    assert a.post("/api/chats/private", json={"user_id": bob.user_id}).status_code == 200

    from chatapp.access import access_chat
    from chatapp.errors import Forbidden
    from chatapp.models import User
    from chatapp.services.messages import ensure_can_post
    with app.app_context():
        user = db.session.get(User, alice.user_id)
        with pytest.raises(Forbidden) as refused:
            ensure_can_post(user, access_chat(user, chat_id))
        assert refused.value.code == "not_friends"
    befriend(alice, bob)
    with app.app_context():
        user = db.session.get(User, alice.user_id)
        ensure_can_post(user, access_chat(user, chat_id))  # friends again: allowed


def test_chat_details_say_whether_the_viewer_can_send(api, befriend, group, alice, bob):
    a, b = api(alice), api(bob)  # friends, through the team
    chat_id = a.post("/api/chats/private", json={"user_id": bob.user_id}).get_json()["chat"][
        "chat_id"]
    assert a.get(f"/api/chats/{chat_id}").get_json()["chat"]["can_send"] is True
    a.delete(f"/api/friends/{bob.user_id}")
    for person in (a, b):  # both sides: the friendship is gone
        assert person.get(f"/api/chats/{chat_id}").get_json()["chat"]["can_send"] is False
    assert b.get(f"/api/chats/{group}").get_json()["chat"]["can_send"] is True  # a group
    befriend(alice, bob)
    assert b.get(f"/api/chats/{chat_id}").get_json()["chat"]["can_send"] is True


def test_private_chats_have_no_group_operations(app, api, befriend, alice, bob):
    befriend(alice, bob)
    a = api(alice)
    chat_id = a.post("/api/chats/private", json={"user_id": bob.user_id}).get_json()["chat"][
        "chat_id"]
    for response in (a.patch(f"/api/chats/{chat_id}", json={"chat_name": "x"}),
                     a.post(f"/api/chats/{chat_id}/leave"),
                     a.delete(f"/api/chats/{chat_id}"),
                     a.delete(f"/api/chats/{chat_id}/members/{bob.user_id}")):
        assert response.status_code == 400 and error_code(response) == "not_a_group"
    assert len(roles(app, chat_id)) == 2


# --- groups --------------------------------------------------------------------------------


def test_create_group_owner_members_notices_and_events(app, api, sio, befriend, alice, bob,
                                                       carol, mallory):
    befriend(alice, bob)
    befriend(alice, carol)
    a, b = api(alice), api(bob)
    a_sock, b_sock, m_sock = sio(a), sio(b), sio(api(mallory))
    response = a.post("/api/chats", json={"chat_name": "  Launch   crew ",
                                          "member_ids": [bob.user_id, carol.user_id, bob.user_id]})
    assert response.status_code == 201
    chat = response.get_json()["chat"]
    assert chat["chat_name"] == "Launch crew" and chat["privilege"] == "owner"
    assert roles(app, chat["chat_id"]) == {alice.user_id: "owner", bob.user_id: "member",
                                           carol.user_id: "member"}
    assert [text for _, text in notices(app, chat["chat_id"])] == [
        "alice created the group “Launch crew”", "alice added bob", "alice added carol"]
    assert [seq for seq, _ in notices(app, chat["chat_id"])] == [1, 2, 3]

    b_events = events(b_sock)
    assert ("chat_created" in [name for name, _ in b_events])
    created = [p for name, p in b_events if name == "message_created"]
    assert [p["message"]["text"] for p in created] == [
        "alice created the group “Launch crew”", "alice added bob", "alice added carol"]
    assert len(events(a_sock, "message_created")) == 3
    assert events(m_sock) == []


@pytest.mark.parametrize(
    ("payload", "status", "error"),
    [({"chat_name": "   ", "member_ids": []}, 400, "invalid_chat_name"),
     ({"chat_name": "x" * 51, "member_ids": []}, 400, "invalid_chat_name"),
     ({"chat_name": "Team", "member_ids": ["bob"]}, 400, "invalid_payload"),
     ({"chat_name": "Team"}, 201, None)],
)
def test_create_group_input(app, api, alice, payload, status, error):
    response = api(alice).post("/api/chats", json=payload)
    assert response.status_code == status
    if error:
        assert error_code(response) == error


def test_create_group_only_with_friends(app, api, befriend, alice, bob, mallory):
    befriend(alice, bob)
    response = api(alice).post("/api/chats", json={"chat_name": "Team",
                                                   "member_ids": [bob.user_id, mallory.user_id]})
    assert response.status_code == 403 and error_code(response) == "not_friends"
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Chat)) == 0


def test_rename(app, api, sio, group, alice, bob, carol):
    c_sock = sio(api(carol))
    response = api(alice).patch(f"/api/chats/{group}", json={"chat_name": "Core"})
    assert response.get_json()["chat"]["chat_name"] == "Core"
    assert events(c_sock, "chat_renamed") == [{"chat_id": group, "chat_name": "Core"}]
    assert notices(app, group)[-1][1] == "alice renamed the group to “Core”"


def test_add_and_remove_member_moves_live_sockets(app, api, sio, befriend, group, alice, bob,
                                                  carol, make_user):
    dave = make_user("dave")
    befriend(alice, dave)
    a, d = api(alice), api(dave)
    d_sock, d_tab2, b_sock = sio(d), sio(d), sio(api(bob))
    added = a.post(f"/api/chats/{group}/members", json={"user_ids": [dave.user_id]})
    assert added.status_code == 200
    assert roles(app, group)[dave.user_id] == "member"
    for sock in (d_sock, d_tab2):
        names = [name for name, _ in events(sock)]
        assert "chat_created" in names and "message_created" in names
    assert events(b_sock, "member_added")[0]["member"]["user"]["user_name"] == "dave"

    # Both of dave's tabs are now in the chat's room: they hear the next change.
    a.patch(f"/api/chats/{group}", json={"chat_name": "Core"})
    assert events(d_sock, "chat_renamed") == [{"chat_id": group, "chat_name": "Core"}]
    assert events(d_tab2, "chat_renamed") == [{"chat_id": group, "chat_name": "Core"}]

    assert a.delete(f"/api/chats/{group}/members/{dave.user_id}").status_code == 204
    assert dave.user_id not in roles(app, group)
    removed = events(d_sock, "member_removed")
    assert removed == [{"chat_id": group, "user_id": dave.user_id, "reason": "removed"}]
    events(d_tab2)
    # After removal dave's live sockets get nothing more from the chat.
    a.patch(f"/api/chats/{group}", json={"chat_name": "Secret plans"})
    assert events(d_sock) == [] and events(d_tab2) == []
    assert events(b_sock, "chat_renamed")[-1]["chat_name"] == "Secret plans"
    assert d.get(f"/api/chats/{group}").status_code == 404


def test_a_socket_connecting_later_joins_its_chats(app, api, sio, group, alice, carol):
    late = sio(api(carol))
    api(alice).patch(f"/api/chats/{group}", json={"chat_name": "Later"})
    assert events(late, "chat_renamed") == [{"chat_id": group, "chat_name": "Later"}]


def test_add_member_refusals(app, api, befriend, group, alice, bob, mallory, make_user):
    a = api(alice)
    assert error_code(a.post(f"/api/chats/{group}/members",
                             json={"user_ids": [bob.user_id]})) == "already_member"
    assert error_code(a.post(f"/api/chats/{group}/members",
                             json={"user_ids": [mallory.user_id]})) == "not_friends"
    assert error_code(a.post(f"/api/chats/{group}/members",
                             json={"user_ids": []})) == "invalid_members"
    assert error_code(a.post(f"/api/chats/{group}/members", json={"user_ids": [999_999]})) == \
        "user_not_found"
    assert len(roles(app, group)) == 3


def test_roles_promote_demote_transfer(app, api, sio, group, alice, bob, carol):
    a = api(alice)
    c_sock = sio(api(carol))
    put = a.put(f"/api/chats/{group}/members/{bob.user_id}/role", json={"privilege": "admin"})
    assert put.status_code == 200
    assert roles(app, group)[bob.user_id] == "admin"
    assert events(c_sock, "role_changed") == [{"chat_id": group, "user_id": bob.user_id,
                                               "privilege": "admin"}]
    same = a.put(f"/api/chats/{group}/members/{bob.user_id}/role", json={"privilege": "admin"})
    assert same.status_code == 409 and error_code(same) == "role_unchanged"
    owner = a.put(f"/api/chats/{group}/members/{bob.user_id}/role", json={"privilege": "owner"})
    assert owner.status_code == 400 and error_code(owner) == "invalid_payload"
    a.put(f"/api/chats/{group}/members/{bob.user_id}/role", json={"privilege": "member"})
    assert roles(app, group)[bob.user_id] == "member"

    moved = a.post(f"/api/chats/{group}/owner", json={"user_id": carol.user_id})
    assert moved.status_code == 200
    assert roles(app, group) == {alice.user_id: "admin", bob.user_id: "member",
                                carol.user_id: "owner"}
    assert notices(app, group)[-1][1] == "alice made carol the owner"
    # The new owner can act as owner, the old one no longer can.
    assert error_code(a.delete(f"/api/chats/{group}")) == "insufficient_role"
    assert api(carol).put(f"/api/chats/{group}/members/{alice.user_id}/role",
                          json={"privilege": "member"}).status_code == 200


def test_admin_limits(app, api, befriend, group, alice, bob, carol, make_user):
    a = api(alice)
    a.put(f"/api/chats/{group}/members/{bob.user_id}/role", json={"privilege": "admin"})
    a.put(f"/api/chats/{group}/members/{carol.user_id}/role", json={"privilege": "admin"})
    b = api(bob)
    assert error_code(b.delete(f"/api/chats/{group}/members/{carol.user_id}")
                      ) == "insufficient_role"
    assert error_code(b.delete(f"/api/chats/{group}/members/{alice.user_id}")
                      ) == "insufficient_role"
    assert error_code(b.put(f"/api/chats/{group}/members/{bob.user_id}/role",
                      json={"privilege": "member"})) == "insufficient_role"
    assert error_code(b.post(f"/api/chats/{group}/owner", json={"user_id": bob.user_id})) == \
        "insufficient_role"
    a.put(f"/api/chats/{group}/members/{carol.user_id}/role", json={"privilege": "member"})
    assert b.delete(f"/api/chats/{group}/members/{carol.user_id}").status_code == 204
    assert roles(app, group) == {alice.user_id: "owner", bob.user_id: "admin"}


def test_leave_rules(app, api, sio, group, alice, bob, carol):
    a, b, c = api(alice), api(bob), api(carol)
    a_sock = sio(a)
    stay = a.post(f"/api/chats/{group}/leave")
    assert stay.status_code == 409 and error_code(stay) == "owner_must_transfer"
    assert c.post(f"/api/chats/{group}/leave").status_code == 204
    assert events(a_sock, "member_removed") == [{"chat_id": group, "user_id": carol.user_id,
                                                 "reason": "left"}]
    assert notices(app, group)[-1][1] == "carol left"
    assert b.post(f"/api/chats/{group}/leave").status_code == 204
    # The owner is alone now: leaving dissolves the group.
    assert a.post(f"/api/chats/{group}/leave").status_code == 204
    assert events(a_sock, "chat_dissolved") == [{"chat_id": group}]
    with app.app_context():
        assert db.session.get(Chat, group) is None


def test_dissolve_removes_the_chat_for_everyone(app, api, sio, group, alice, bob):
    b_sock = sio(api(bob))
    assert error_code(api(bob).delete(f"/api/chats/{group}")) == "insufficient_role"
    assert api(alice).delete(f"/api/chats/{group}").status_code == 204
    assert events(b_sock, "chat_dissolved") == [{"chat_id": group}]
    with app.app_context():
        assert db.session.get(Chat, group) is None
        assert db.session.scalar(select(db.func.count()).select_from(Message)) == 0
    assert api(bob).get(f"/api/chats/{group}").status_code == 404
    assert api(bob).get("/api/chats").get_json()["chats"] == []


def test_chat_list(api, group, befriend, alice, bob):
    a = api(alice)
    a.post("/api/chats/private", json={"user_id": bob.user_id})
    listed = a.get("/api/chats").get_json()["chats"]
    assert [c["chat_name"] for c in listed] == ["bob", "Team"]  # newest activity first
    assert [c["privilege"] for c in listed] == ["member", "owner"]
    a.patch(f"/api/chats/{group}", json={"chat_name": "Team 2"})  # a notice: new activity
    assert [c["chat_name"] for c in a.get("/api/chats").get_json()["chats"]] == ["Team 2", "bob"]
