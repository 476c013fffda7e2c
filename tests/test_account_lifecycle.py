"""Deleting an account (by its owner or a site admin), site administrators, and the admin
pages: what goes, what stays, who is told, and who may see or do any of it."""

import io

import pytest
from sqlalchemy import select

from chatapp.commands import users as users_cli
from chatapp.extensions import db
from chatapp.models import Chat, FriendRequest, Friendship, Membership, Message, User
from tests.helpers import ApiClient, error_code, events, image_bytes, uploads_in
from tests.test_session_revocation import wait_disconnected


@pytest.fixture
def world(api, befriend, alice, bob, carol, mallory):
    """alice owns "Team" (bob admin, carol member) and "Solo" (alone), is friends with bob
    and carol, has a private chat with bob, a pending request to mallory, an avatar, and has
    sent text and an image."""
    befriend(alice, bob)
    befriend(alice, carol)
    a = api(alice)
    team = a.post("/api/chats", json={"chat_name": "Team",
                                      "member_ids": [bob.user_id, carol.user_id]}
                  ).get_json()["chat"]["chat_id"]
    a.put(f"/api/chats/{team}/members/{bob.user_id}/role", json={"privilege": "admin"})
    solo = a.post("/api/chats", json={"chat_name": "Solo"}).get_json()["chat"]["chat_id"]
    pair = a.post("/api/chats/private", json={"user_id": bob.user_id}).get_json()["chat"]["chat_id"]
    a.post(f"/api/chats/{team}/messages",
           json={"text": "quarterly zebra plan", "client_msg_id": "t1"})
    a.post(f"/api/chats/{pair}/messages", json={"text": "see you at noon", "client_msg_id": "p1"})
    a.post(f"/api/chats/{team}/files", data={"file": (io.BytesIO(image_bytes()), "plan.png"),
                                             "client_msg_id": "f1"},
           content_type="multipart/form-data")
    a.put("/api/me/avatar", data={"avatar": (io.BytesIO(image_bytes()), "me.png")})
    a.post("/api/friend-requests", json={"user_id": mallory.user_id})
    return {"team": team, "solo": solo, "pair": pair, "alice": a}


def test_deleting_ones_own_account_takes_personal_data_and_keeps_the_conversation(
        app, api, sio, world, alice, bob, carol, mallory):
    a, b = world["alice"], api(bob)
    alice_sock, bob_sock = sio(a), sio(b)
    events(bob_sock)
    assert error_code(a.delete("/api/me", json={"password": "wrong-password"})) == "wrong_password"
    assert a.get("/api/me").status_code == 200  # a wrong password changes nothing

    assert a.delete("/api/me", json={"password": alice.password}).status_code == 204
    assert a.get("/api/me").status_code == 401
    assert wait_disconnected(alice_sock)
    name = f"Deleted user {alice.user_id}"
    with app.app_context():
        user = db.session.get(User, alice.user_id)
        assert (user.user_name, user.user_email, user.user_icon, user.password) == (
            name, None, None, "")
        assert not user.is_active and not user.is_admin and user.deleted_at
        assert not db.session.scalars(select(Friendship).where(
            (Friendship.user_id == alice.user_id) | (Friendship.friend_id == alice.user_id))).all()
        assert not db.session.scalars(select(FriendRequest)).all()
        assert [m.chat_id for m in db.session.scalars(select(Membership).where(
            Membership.user_id == alice.user_id))] == [world["pair"]]
    assert uploads_in(app, "avatars") == []
    # Nobody can log in as her; her name is free again.
    login = api().post("/api/auth/login", json={"user_name": "alice", "password": alice.password})
    assert login.status_code == 401
    # bob: the group is his (he was its admin), alice "left"; their private chat stays, with
    # her messages under the new name; past notices name her by it too.
    team = b.get(f"/api/chats/{world['team']}").get_json()["chat"]
    owners = [m["user"]["user_id"] for m in team["members"] if m["privilege"] == "owner"]
    assert owners == [bob.user_id]
    history = b.get(f"/api/chats/{world['pair']}/messages").get_json()["messages"]
    assert [(m["sender"]["user_name"], m["msg_text"]) for m in history] == [
        (name, "see you at noon")]
    notices = [m for m in b.get(f"/api/chats/{world['team']}/messages").get_json()["messages"]
               if m["msg_type"] == "system"]
    assert "alice" not in str(notices) and name in str(notices)
    assert b.get("/api/friends").get_json()["friends"] == []
    got = events(bob_sock)
    assert ("friend_removed", {"user_id": alice.user_id}) in got
    assert any(event == "member_removed" and p["user_id"] == alice.user_id for event, p in got)
    # "Solo" had nobody else: it is gone.
    with app.app_context():
        assert db.session.get(Chat, world["solo"]) is None
    # carol and mallory find no trace of an "alice" to befriend.
    found = api(carol).get("/api/users?q=alice").get_json()["users"]
    assert found == []
    assert api(mallory).get("/api/friend-requests").get_json()["incoming"] == []


def test_an_admin_deletes_an_account_with_its_messages(app, api, world, alice, bob, carol):
    with app.app_context():
        db.session.get(User, bob.user_id).is_admin = True
        db.session.commit()
    b = api(bob)
    page = b.get(f"/admin/users/{alice.user_id}")
    assert page.status_code == 200 and b"alice" in page.data
    wrong = b.post(f"/admin/users/{alice.user_id}/delete",
                   data={"csrf_token": b.token(), "confirm_name": "alise",
                         "remove_messages": "y"})
    assert wrong.status_code == 400
    done = b.post(f"/admin/users/{alice.user_id}/delete",
                  data={"csrf_token": b.token(), "confirm_name": "ALICE", "remove_messages": "y"})
    assert done.status_code == 302
    history = api(carol).get(f"/api/chats/{world['team']}/messages").get_json()["messages"]
    hers = [m for m in history if m["sender"]["user_id"] == alice.user_id
            and m["msg_type"] != "system"]
    assert hers and all(m["recalled"] and m["msg_text"] == "" for m in hers)
    assert [f for f in uploads_in(app, "files") if not f.startswith(".")] == []
    assert api(carol).get("/api/search?q=zebra").get_json()["results"] == []


def test_the_first_account_administers_the_server(app, api, alice, bob):
    with app.app_context():
        assert db.session.get(User, alice.user_id).is_admin
        assert not db.session.get(User, bob.user_id).is_admin
    assert b'href="/admin/"' in api(alice).get("/friends").data
    assert b'href="/admin/"' not in api(bob).get("/friends").data


def test_no_first_admin_when_the_setting_is_off(make_app):
    from chatapp.services import accounts

    app = make_app(FIRST_USER_ADMIN=False)
    with app.app_context():
        assert not accounts.register_user("first", "password123").is_admin


def test_admin_actions_disable_enable_reset_and_refuse_themselves(app, api, sio, alice, bob):
    admin, b = api(alice), api(bob)
    bob_sock = sio(b)
    figures = admin.get("/admin/").data.decode()
    assert "2 active, 0 disabled" in figures
    listed = admin.get("/admin/users?q=bo").data.decode()
    assert "bob" in listed and 'data-testid="admin-user-alice"' not in listed
    without_csrf = admin.client.post(f"/admin/users/{bob.user_id}/disable")
    assert without_csrf.status_code == 400
    admin.post(f"/admin/users/{bob.user_id}/disable", data={"csrf_token": admin.token()})
    assert b.get("/api/me").status_code == 401 and wait_disconnected(bob_sock)
    assert "1 active, 1 disabled" in admin.get("/admin/").data.decode()
    admin.post(f"/admin/users/{bob.user_id}/enable", data={"csrf_token": admin.token()})
    page = admin.post(f"/admin/users/{bob.user_id}/reset-link",
                      data={"csrf_token": admin.token()}).data.decode()
    link = page.split('data-testid="reset-link">')[1].split("<")[0]
    assert "/reset/" in link
    reset = ApiClient(app.test_client())
    token = link.rsplit("/", 1)[1]
    answer = reset.client.post(f"/reset/{token}", data={
        "csrf_token": reset.token(), "new_password": "brand-new-pw", "confirm": "brand-new-pw"})
    assert answer.status_code == 302
    for action in ("disable", "delete"):
        refused = admin.post(f"/admin/users/{alice.user_id}/{action}",
                             data={"csrf_token": admin.token(), "confirm_name": "alice"})
        assert refused.status_code in (302, 400)
    with app.app_context():
        user = db.session.get(User, alice.user_id)
        assert user.is_active and user.deleted_at is None


def test_deleted_accounts_are_gone_for_reset_links_and_commands(app, api, alice, bob):
    from chatapp.services import password_reset

    with app.app_context():
        _user, token = password_reset.password_reset_token("bob")
    assert api(bob).delete("/api/me", json={"password": bob.password}).status_code == 204
    page = api().client.get(f"/reset/{token}")
    assert b"not valid" in page.data
    runner = app.test_cli_runner()
    result = runner.invoke(users_cli, ["disable", f"Deleted user {bob.user_id}"])
    assert result.exit_code == 1 and "user_not_found" in result.output


def test_users_commands_admin_delete_and_list(app, api, alice, bob, carol):
    runner = app.test_cli_runner()
    assert runner.invoke(users_cli, ["admin", "bob"]).exit_code == 0
    listed = runner.invoke(users_cli, ["list"]).output
    assert "bob\tNone" not in listed and "\tadmin" in listed.split("bob")[1].splitlines()[0]
    assert runner.invoke(users_cli, ["admin", "bob", "--revoke"]).exit_code == 0
    refused = runner.invoke(users_cli, ["delete", "carol"], input="n\n")
    assert refused.exit_code == 1
    result = runner.invoke(users_cli, ["delete", "carol", "--yes"])
    assert result.exit_code == 0, result.output
    assert "carol" not in runner.invoke(users_cli, ["list"]).output
    with app.app_context():
        assert db.session.get(User, carol.user_id).deleted_at is not None
        assert db.session.scalars(select(Message)).all() == []
