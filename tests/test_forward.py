"""Forwarding: a member sends a copy of a message (text or file) to another chat they are in.
The copy names the original's author, shares the stored file, and the file is deleted only
when no message refers to it any more (recall, account erasure, a dissolved group)."""

import io

from sqlalchemy import event, func, select

from chatapp.extensions import db, limiter
from chatapp.models import Message, User
from chatapp.services import account_deletion, accounts
from tests.helpers import (
    PASSWORD,
    ApiClient,
    Person,
    error_code,
    events,
    image_bytes,
    uploads_in,
)


def forward(sock, chat_id, msg_id, to_chat_id, client_msg_id):
    return sock.emit("forward_message", {"chat_id": chat_id, "msg_id": msg_id,
                                         "to_chat_id": to_chat_id,
                                         "client_msg_id": client_msg_id}, callback=True)


def post(client, chat_id, text, client_msg_id):
    return client.post(f"/api/chats/{chat_id}/messages",
                       json={"text": text, "client_msg_id": client_msg_id}
                       ).get_json()["message"]


def upload(client, chat_id, client_msg_id="f-1"):
    response = client.post(f"/api/chats/{chat_id}/files",
                           data={"file": (io.BytesIO(image_bytes()), "plan.png"),
                                 "client_msg_id": client_msg_id},
                           content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    return response.get_json()["message"]


def stored(app):
    return [f for f in uploads_in(app, "files") if not f.startswith(".")]


def row(app, msg_id):
    with app.app_context():
        message = db.session.get(Message, msg_id)
        return {"chat_id": message.chat_id, "sender_id": message.sender_id,
                "msg_file": message.msg_file, "msg_text": message.msg_text,
                "forwarded_from_id": message.forwarded_from_id}


def count_in(app, chat_id):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Message).where(
            Message.chat_id == chat_id))


def serves(client, message):
    return client.get(message["file"]["url"]).status_code


# --- text -------------------------------------------------------------------------------


def test_a_forwarded_text_is_a_new_message_of_the_target_chat(app, api, sio, group, pair,
                                                               alice, bob, carol):
    a, b, c = sio(api(alice)), sio(api(bob)), sio(api(carol))
    original = post(api(bob), group, "the release is on friday", "t-1")
    for sock in (a, b, c):
        events(sock)
    ack = forward(a, group, original["msg_id"], pair, "fw-1")
    assert ack["ok"] and ack["created"], ack
    copy = ack["message"]
    assert copy["chat_id"] == pair and copy["msg_text"] == original["msg_text"]
    assert copy["sender"]["user_id"] == alice.user_id and copy["msg_type"] == "text"
    assert copy["forwarded_from"] == {"user_id": bob.user_id, "user_name": "bob"}
    assert copy["reply_to"] is None and copy["reactions"] == [] and copy["seq"] > 0
    assert original["forwarded_from"] is None
    # The people of the target chat are told; carol, who is not in it, hears nothing.
    assert [e["message"] for e in events(b, "message_created")] == [copy]
    assert events(c) == []
    assert row(app, copy["msg_id"]) == {"chat_id": pair, "sender_id": alice.user_id,
                                        "msg_file": None, "msg_text": original["msg_text"],
                                        "forwarded_from_id": bob.user_id}
    # Search knows the copy in its chat; history shows where it came from.
    hits = api(bob).get(f"/api/search?q=friday&chat_id={pair}").get_json()["results"]
    assert [h["message"]["msg_id"] for h in hits] == [copy["msg_id"]]
    page = api(bob).get(f"/api/chats/{pair}/messages").get_json()["messages"]
    assert page[-1]["forwarded_from"] == copy["forwarded_from"]


def test_forward_over_http_is_idempotent(app, api, group, pair, alice, bob):
    client = api(alice)
    original = post(client, group, "minutes attached", "t-2")
    url = f"/api/chats/{group}/messages/{original['msg_id']}/forward"
    first = client.post(url, json={"to_chat_id": pair, "client_msg_id": "fw-2"})
    assert first.status_code == 201 and first.get_json()["created"] is True
    again = client.post(url, json={"to_chat_id": pair, "client_msg_id": "fw-2"})
    assert again.status_code == 200 and again.get_json() == {
        "message": first.get_json()["message"], "created": False}
    assert count_in(app, pair) == 1
    # The same id for another chat is a different message, refused as for a send.
    reused = client.post(f"/api/chats/{pair}/messages/{first.get_json()['message']['msg_id']}"
                         "/forward", json={"to_chat_id": group, "client_msg_id": "fw-2"})
    assert reused.status_code == 409 and error_code(reused) == "client_msg_id_reused"
    assert error_code(client.post(url, json={"to_chat_id": pair})) == "invalid_payload"
    assert error_code(client.post(url, json={"to_chat_id": pair, "client_msg_id": "a b"})
                      ) == "invalid_client_msg_id"


def test_a_retry_is_answered_even_after_the_original_was_recalled(app, api, sio, group, pair,
                                                                  alice):
    a = sio(api(alice))
    original = post(api(alice), group, "gone soon", "t-3")
    copy = forward(a, group, original["msg_id"], pair, "fw-3")["message"]
    assert a.emit("recall_message", {"chat_id": group, "msg_id": original["msg_id"]},
                  callback=True)["ok"]
    retry = forward(a, group, original["msg_id"], pair, "fw-3")
    assert retry["ok"] and retry["created"] is False and retry["message"] == copy


def test_forwarding_a_forward_names_the_first_author(app, api, sio, group, pair, alice, bob,
                                                     carol):
    original = post(api(carol), group, "carol's idea", "t-4")
    first = forward(sio(api(alice)), group, original["msg_id"], pair, "fw-4")["message"]
    second = forward(sio(api(bob)), pair, first["msg_id"], group, "fw-5")["message"]
    assert second["chat_id"] == group and second["sender"]["user_id"] == bob.user_id
    assert second["forwarded_from"] == {"user_id": carol.user_id, "user_name": "carol"}
    # One's own message forwarded names oneself.
    mine = post(api(alice), group, "my own words", "t-5")
    own = forward(sio(api(alice)), group, mine["msg_id"], pair, "fw-6")["message"]
    assert own["forwarded_from"]["user_id"] == alice.user_id


# --- refusals --------------------------------------------------------------------------


def test_refusals_change_nothing_and_tell_nobody(app, api, sio, group, pair, alice, bob, carol,
                                                 mallory, befriend):
    a, b = sio(api(alice)), sio(api(bob))
    original = post(api(bob), group, "hello team", "t-6")
    secret = api(mallory).post("/api/chats", json={"chat_name": "Mine"}
                               ).get_json()["chat"]["chat_id"]
    with app.app_context():
        notice = db.session.scalar(select(Message.msg_id).where(
            Message.chat_id == group, Message.msg_type == "system"))
    recalled = post(api(alice), group, "oops", "t-7")
    assert a.emit("recall_message", {"chat_id": group, "msg_id": recalled["msg_id"]},
                  callback=True)["ok"]
    before = {chat: count_in(app, chat) for chat in (group, pair, secret)}
    events(a), events(b)

    m = sio(api(mallory))
    # mallory is not in the team: its message is not found, as in a chat that does not exist.
    assert forward(m, group, original["msg_id"], secret, "x-1")["error"]["code"] == (
        "chat_not_found")
    assert forward(m, 10**9, 1, secret, "x-2")["error"]["code"] == "chat_not_found"
    # alice is not in mallory's chat: the target is not found.
    assert forward(a, group, original["msg_id"], secret, "x-3")["error"]["code"] == (
        "chat_not_found")
    assert forward(a, group, 10**9, pair, "x-4")["error"]["code"] == "message_not_found"
    assert forward(a, pair, original["msg_id"], group, "x-5")["error"]["code"] == (
        "message_not_found")  # a message of another chat
    assert forward(a, group, notice, pair, "x-6")["error"]["code"] == "cannot_forward_notice"
    assert forward(a, group, recalled["msg_id"], pair, "x-7")["error"]["code"] == (
        "already_recalled")
    # A private chat whose friendship ended takes no new messages, forwarded ones included.
    assert api(alice).delete(f"/api/friends/{bob.user_id}").status_code in (200, 204)
    events(a), events(b)
    assert forward(a, group, original["msg_id"], pair, "x-8")["error"]["code"] == "not_friends"
    response = api(alice).post(f"/api/chats/{group}/messages/{original['msg_id']}/forward",
                               json={"to_chat_id": pair, "client_msg_id": "x-9"})
    assert response.status_code == 403 and error_code(response) == "not_friends"

    assert {chat: count_in(app, chat) for chat in (group, pair, secret)} == before
    assert events(a) == [] and events(b) == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Message).where(
            Message.forwarded_from_id.is_not(None))) == 0
    # Friends again: the same forward goes through.
    befriend(alice, bob)
    assert forward(a, group, original["msg_id"], pair, "x-8")["ok"]


# --- files -----------------------------------------------------------------------------


def test_a_forwarded_file_is_stored_once_and_kept_until_its_last_message_goes(
        app, api, sio, group, pair, alice, bob, carol):
    a = sio(api(alice))
    original = upload(api(carol), group)
    files = stored(app)
    assert len(files) == 2  # the image and its thumbnail
    copy = forward(a, group, original["msg_id"], pair, "fw-f1")["message"]
    assert stored(app) == files  # shared, not copied
    assert row(app, copy["msg_id"])["msg_file"] == row(app, original["msg_id"])["msg_file"]
    assert copy["msg_type"] == "image" and copy["msg_text"] == "plan.png"
    assert copy["file"]["thumbnail_url"] and copy["file"]["size"] == original["file"]["size"]
    assert copy["file"]["url"] != original["file"]["url"]  # served as the copy's own
    bob_client = api(bob)
    assert serves(bob_client, copy) == 200
    assert bob_client.get(copy["file"]["thumbnail_url"]).status_code == 200

    # carol recalls her original: the copy still refers to the file, which stays.
    assert sio(api(carol)).emit("recall_message", {"chat_id": group,
                                                   "msg_id": original["msg_id"]},
                                callback=True)["ok"]
    assert stored(app) == files and serves(bob_client, copy) == 200
    # The last message that refers to it goes: so does the file, with its thumbnail.
    assert a.emit("recall_message", {"chat_id": pair, "msg_id": copy["msg_id"]},
                  callback=True)["ok"]
    assert stored(app) == []


def test_a_recalled_copy_leaves_the_original_its_file(app, api, sio, group, pair, alice):
    a = sio(api(alice))
    original = upload(api(alice), group)
    copy = forward(a, group, original["msg_id"], pair, "fw-f2")["message"]
    assert a.emit("recall_message", {"chat_id": pair, "msg_id": copy["msg_id"]},
                  callback=True)["ok"]
    assert len(stored(app)) == 2 and serves(api(alice), original) == 200


def test_a_dissolved_group_keeps_the_files_forwarded_out_of_it(app, api, sio, group, pair,
                                                                alice, bob):
    a = sio(api(alice))
    kept = upload(api(alice), group, "f-kept")
    upload(api(alice), group, "f-gone")
    assert len(stored(app)) == 4
    copy = forward(a, group, kept["msg_id"], pair, "fw-f3")["message"]
    assert api(alice).delete(f"/api/chats/{group}").status_code == 204
    assert len(stored(app)) == 2  # the other image went with the group
    assert serves(api(bob), copy) == 200
    assert a.emit("recall_message", {"chat_id": pair, "msg_id": copy["msg_id"]},
                  callback=True)["ok"]
    assert stored(app) == []


def test_a_group_whose_last_member_leaves_keeps_forwarded_files(app, api, sio, pair, alice,
                                                                bob):
    solo = api(alice).post("/api/chats", json={"chat_name": "Notes"}).get_json()["chat"]
    original = upload(api(alice), solo["chat_id"])
    copy = forward(sio(api(alice)), solo["chat_id"], original["msg_id"], pair, "fw-f4")
    assert api(alice).post(f"/api/chats/{solo['chat_id']}/leave").status_code == 204
    assert len(stored(app)) == 2 and serves(api(bob), copy["message"]) == 200


def test_erasing_an_account_keeps_the_files_others_forwarded(app, api, sio, group, pair, alice,
                                                             bob, carol):
    original = upload(api(carol), group)
    upload(api(carol), group, "f-only")
    copy = forward(sio(api(alice)), group, original["msg_id"], pair, "fw-f5")["message"]
    with app.app_context():
        account_deletion.delete_account(db.session.get(User, carol.user_id),
                                        by=db.session.get(User, alice.user_id),
                                        remove_messages=True)
    assert len(stored(app)) == 2  # carol's other file went; the forwarded one stays
    assert serves(api(bob), copy) == 200
    assert row(app, original["msg_id"])["msg_file"] is None


# --- limits and shapes -----------------------------------------------------------------


def test_forwards_count_against_the_send_limit(make_app):
    app = make_app(RATELIMIT_ENABLED=True, SEND_RATE_LIMIT="2 per minute",
                   LOGIN_RATE_LIMIT="1000 per minute")
    with app.app_context():
        limiter.reset()  # counters of an earlier test's users (same ids) must not carry over
        ann, ben = (accounts.register_user(name, PASSWORD, None) for name in ("ann", "ben"))
        ann, ben = Person(ann.user_id, "ann"), Person(ben.user_id, "ben")
    a, b = (ApiClient(app.test_client()).login(person) for person in (ann, ben))
    request = a.post("/api/friend-requests", json={"user_id": ben.user_id}).get_json()
    b.post(f"/api/friend-requests/{request['request']['request_id']}/accept")
    pair = a.post("/api/chats/private", json={"user_id": ben.user_id}
                  ).get_json()["chat"]["chat_id"]
    notes = a.post("/api/chats", json={"chat_name": "Notes"}).get_json()["chat"]["chat_id"]
    original = post(a, notes, "one", "t-8")
    url = f"/api/chats/{notes}/messages/{original['msg_id']}/forward"
    assert a.post(url, json={"to_chat_id": pair, "client_msg_id": "fw-l1"}).status_code == 201
    refused = a.post(url, json={"to_chat_id": pair, "client_msg_id": "fw-l2"})
    assert refused.status_code == 429 and error_code(refused) == "rate_limited"
    retry = a.post(url, json={"to_chat_id": pair, "client_msg_id": "fw-l1"})
    assert retry.status_code == 200 and retry.get_json()["created"] is False
    assert count_in(app, pair) == 1


def test_a_history_page_reads_the_authors_of_forwarded_copies_at_once(app, api, sio, group,
                                                                      pair, alice, bob, carol):
    """Copies of many authors cost the page one query more than none, not one per copy."""
    a = sio(api(alice))
    for n in range(3):
        post(api(alice), pair, f"plain {n}", f"p-{n}")
    plain = statements(app, lambda: api(bob).get(f"/api/chats/{pair}/messages"))
    for n, person in enumerate((alice, bob, carol, bob, carol)):
        original = post(api(person), group, f"words {n}", f"o-{n}")
        assert forward(a, group, original["msg_id"], pair, f"fw-h{n}")["ok"]
    page = api(bob).get(f"/api/chats/{pair}/messages").get_json()["messages"]
    assert [m["forwarded_from"]["user_name"] for m in page if m["forwarded_from"]] == [
        "alice", "bob", "carol", "bob", "carol"]
    forwarded = statements(app, lambda: api(bob).get(f"/api/chats/{pair}/messages"))
    assert forwarded <= plain + 1


def statements(app, do) -> int:
    """How many SQL statements ``do`` runs against the app's database."""
    with app.app_context():
        engine = db.engine
    seen = []

    def count(*_args):
        seen.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        do()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)
