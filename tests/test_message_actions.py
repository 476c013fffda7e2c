"""What people do with a message after sending it: edit (with its versions), reply, react;
and the change position that lets a reconnecting client catch up on all of it."""

import pytest
from sqlalchemy import func, select

from chatapp.extensions import db
from chatapp.limits import REACTIONS_MAX
from chatapp.models import Message, MessageEdit, Reaction
from tests.helpers import error_code, events


def send(sock, chat_id, text, client_msg_id, **more):
    ack = sock.emit("send_message", {"chat_id": chat_id, "text": text,
                                     "client_msg_id": client_msg_id, **more}, callback=True)
    return ack


def edit(sock, chat_id, msg_id, text):
    return sock.emit("edit_message", {"chat_id": chat_id, "msg_id": msg_id, "text": text},
                     callback=True)


def react(sock, chat_id, msg_id, emoji, on=True):
    return sock.emit("react", {"chat_id": chat_id, "msg_id": msg_id, "emoji": emoji, "on": on},
                     callback=True)


def search_ids(client, q, chat_id):
    return [r["message"]["msg_id"] for r in
            client.get(f"/api/search?q={q}&chat_id={chat_id}").get_json()["results"]]


# --- edit ----------------------------------------------------------------------------------


def test_the_sender_edits_and_every_member_sees_it_live(app, api, sio, group, alice, bob):
    a, b = sio(api(alice)), sio(api(bob))
    sent = send(a, group, "deploy at nine", "e-1")["message"]
    events(b)
    ack = edit(a, group, sent["msg_id"], "  deploy at ten \r\n")
    assert ack["ok"], ack
    edited = ack["message"]
    assert edited["msg_text"] == "deploy at ten" and edited["edited_at"] is not None
    assert edited["seq"] == sent["seq"] and edited["change_seq"] > sent["change_seq"] == 0
    assert [e["message"] for e in events(b, "message_edited")] == [edited]
    # The same text again changes nothing and tells nobody.
    assert edit(a, group, sent["msg_id"], "deploy at ten")["message"] == edited
    assert events(b, "message_edited") == []
    versions = api(bob).get(f"/api/chats/{group}/messages/{sent['msg_id']}/versions").get_json()
    assert [v["msg_text"] for v in versions["versions"]] == ["deploy at nine", "deploy at ten"]
    assert versions["versions"][0]["written_at"] == sent["create_time"]


def test_search_follows_the_edited_text(app, api, sio, group, alice):
    a = sio(api(alice))
    sent = send(a, group, "meet in the lobby", "e-2")["message"]
    assert search_ids(api(alice), "lobby", group) == [sent["msg_id"]]
    assert edit(a, group, sent["msg_id"], "meet in the 会议室")["ok"]
    assert search_ids(api(alice), "lobby", group) == []
    assert search_ids(api(alice), "会议室", group) == [sent["msg_id"]]


def test_edit_refusals_change_nothing(app, api, sio, group, pair, alice, bob, mallory):
    a, b = sio(api(alice)), sio(api(bob))
    mine = send(a, group, "alice's words", "e-3")["message"]
    assert edit(b, group, mine["msg_id"], "bob was here")["error"]["code"] == "not_your_message"
    assert edit(a, pair, mine["msg_id"], "x")["error"]["code"] == "message_not_found"
    assert sio(api(mallory)).emit("edit_message", {
        "chat_id": group, "msg_id": mine["msg_id"], "text": "x"}, callback=True
    )["error"]["code"] == "chat_not_found"
    assert edit(a, group, mine["msg_id"], "  ")["error"]["code"] == "empty_message"
    assert edit(a, group, mine["msg_id"], "x" * 1001)["error"]["code"] == "message_too_long"
    with app.app_context():
        notice = db.session.scalar(select(Message.msg_id).where(Message.msg_type == "system",
                                                               Message.chat_id == group))
    assert edit(a, group, notice, "x")["error"]["code"] == "not_editable"  # alice's notice
    app.config["EDIT_WINDOW_SECONDS"] = -1  # every message is now too old
    assert edit(a, group, mine["msg_id"], "late")["error"]["code"] == "edit_window_passed"
    app.config["EDIT_WINDOW_SECONDS"] = 900
    assert a.emit("recall_message", {"chat_id": group, "msg_id": mine["msg_id"]},
                  callback=True)["ok"]
    assert edit(a, group, mine["msg_id"], "back")["error"]["code"] == "already_recalled"
    with app.app_context():
        assert db.session.get(Message, mine["msg_id"]).msg_text == ""
        assert db.session.scalar(select(func.count()).select_from(MessageEdit)) == 0


def test_a_recall_takes_the_earlier_versions_and_reactions_with_it(app, api, sio, group, alice,
                                                                   bob):
    a, b = sio(api(alice)), sio(api(bob))
    sent = send(a, group, "secret plan v1", "e-4")["message"]
    assert edit(a, group, sent["msg_id"], "secret plan v2")["ok"]
    assert react(b, group, sent["msg_id"], "👍")["ok"]
    recalled = a.emit("recall_message", {"chat_id": group, "msg_id": sent["msg_id"]},
                      callback=True)["message"]
    assert recalled["reactions"] == [] and recalled["msg_text"] == ""
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(MessageEdit)) == 0
        assert db.session.scalar(select(func.count()).select_from(Reaction)) == 0
    versions = api(bob).get(f"/api/chats/{group}/messages/{sent['msg_id']}/versions")
    assert versions.get_json()["versions"] == []
    assert search_ids(api(alice), "plan", group) == []


def test_edit_over_http(api, group, alice, bob):
    client = api(alice)
    sent = client.post(f"/api/chats/{group}/messages",
                       json={"text": "typo", "client_msg_id": "h-1"}).get_json()["message"]
    url = f"/api/chats/{group}/messages/{sent['msg_id']}"
    response = client.patch(url, json={"text": "fixed"})
    assert response.status_code == 200 and response.get_json()["message"]["msg_text"] == "fixed"
    assert error_code(api(bob).patch(url, json={"text": "mine now"})) == "not_your_message"
    assert error_code(client.patch(url, json={"text": 5})) == "invalid_payload"


# --- reply ---------------------------------------------------------------------------------


def test_a_reply_quotes_the_message_it_answers(app, api, sio, group, alice, bob):
    a, b = sio(api(alice)), sio(api(bob))
    question = send(a, group, "who has the keys to the server room?", "q-1")["message"]
    reply = send(b, group, "I do", "q-2", reply_to=question["msg_id"])["message"]
    assert reply["reply_to"] == {
        "msg_id": question["msg_id"], "seq": question["seq"], "msg_type": "text",
        "sender": {"user_id": alice.user_id, "user_name": "alice"},
        "text": "who has the keys to the server room?", "recalled": False}
    page = api(alice).get(f"/api/chats/{group}/messages").get_json()
    assert page["messages"][-1]["reply_to"]["msg_id"] == question["msg_id"]
    # The quote follows an edit, and a recall leaves only "recalled".
    assert edit(a, group, question["msg_id"], "keys?")["ok"]
    page = api(alice).get(f"/api/chats/{group}/messages").get_json()
    assert page["messages"][-1]["reply_to"]["text"] == "keys?"
    assert a.emit("recall_message", {"chat_id": group, "msg_id": question["msg_id"]},
                  callback=True)["ok"]
    page = api(bob).get(f"/api/chats/{group}/messages").get_json()
    assert page["messages"][-1]["reply_to"]["recalled"] is True
    assert page["messages"][-1]["reply_to"]["text"] == ""


def test_a_reply_to_another_chats_message_is_refused(app, api, sio, group, pair, alice, bob):
    a = sio(api(alice))
    elsewhere = send(a, pair, "private words", "q-3")["message"]
    refused = send(a, group, "see this", "q-4", reply_to=elsewhere["msg_id"])
    assert refused["error"]["code"] == "reply_not_found"
    assert refused["error"]["field"] == "reply_to"
    with app.app_context():
        notice = db.session.scalar(select(Message.msg_id).where(Message.msg_type == "system",
                                                               Message.chat_id == group))
    assert send(a, group, "re", "q-5", reply_to=notice)["error"]["code"] == (
        "cannot_reply_to_notice")
    assert send(a, group, "re", "q-6", reply_to="1")["error"]["code"] == "invalid_payload"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Message).where(
            Message.chat_id == group, Message.msg_type == "text")) == 0


# --- reactions -----------------------------------------------------------------------------


def test_reactions_are_live_counted_and_named(app, api, sio, group, alice, bob, carol):
    a, b, c = sio(api(alice)), sio(api(bob)), sio(api(carol))
    sent = send(a, group, "shipped!", "r-1")["message"]
    events(a)
    assert react(b, group, sent["msg_id"], "🎉")["ok"]
    assert react(c, group, sent["msg_id"], "🎉")["ok"]
    last = react(c, group, sent["msg_id"], "👍🏽")["message"]
    assert last["reactions"] == [
        {"emoji": "🎉", "count": 2, "users": [{"user_id": bob.user_id, "user_name": "bob"},
                                             {"user_id": carol.user_id, "user_name": "carol"}]},
        {"emoji": "👍🏽", "count": 1, "users": [{"user_id": carol.user_id,
                                                 "user_name": "carol"}]}]
    live = events(a, "message_reactions")
    assert len(live) == 3 and live[-1]["message"] == last
    # Again is nothing new; taking back what was never given neither.
    assert react(b, group, sent["msg_id"], "🎉")["message"] == last
    assert react(a, group, sent["msg_id"], "🎉", on=False)["message"] == last
    assert events(a, "message_reactions") == []
    gone = react(b, group, sent["msg_id"], "🎉", on=False)["message"]
    assert gone["reactions"][0]["count"] == 1
    page = api(alice).get(f"/api/chats/{group}/messages").get_json()
    assert page["messages"][-1]["reactions"] == gone["reactions"]


@pytest.mark.parametrize("bad", ["a", "👍👍", " 👍", "👍 ", "<b>", "", "x" * 40, "1"])
def test_a_reaction_is_exactly_one_emoji(app, api, sio, group, alice, bad):
    a = sio(api(alice))
    sent = send(a, group, "hello", "r-2")["message"]
    ack = react(a, group, sent["msg_id"], bad)
    assert ack["error"]["code"] in ("invalid_emoji", "invalid_payload")
    if bad.strip() and len(bad) <= 32:
        assert ack["error"]["code"] == "invalid_emoji" and ack["error"]["field"] == "emoji"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Reaction)) == 0


def test_a_message_takes_a_limited_number_of_different_reactions(app, api, sio, group, alice,
                                                                 bob):
    a, b = sio(api(alice)), sio(api(bob))
    sent = send(a, group, "vote", "r-3")["message"]
    faces = [chr(0x1F600 + i) for i in range(REACTIONS_MAX + 1)]
    for face in faces[:REACTIONS_MAX]:
        assert react(a, group, sent["msg_id"], face)["ok"]
    assert react(a, group, sent["msg_id"], faces[-1])["error"]["code"] == "too_many_reactions"
    assert react(b, group, sent["msg_id"], faces[0])["ok"]  # one already there: fine


def test_reactions_over_http_and_refusals(api, group, pair, alice, bob, mallory):
    sent = api(alice).post(f"/api/chats/{group}/messages",
                           json={"text": "hi", "client_msg_id": "h-2"}).get_json()["message"]
    url = f"/api/chats/{group}/messages/{sent['msg_id']}/reactions/"
    added = api(bob).put(url + "❤️")
    assert added.status_code == 200
    assert added.get_json()["message"]["reactions"][0]["emoji"] == "❤️"
    assert error_code(api(bob).put(url + "heart")) == "invalid_emoji"
    assert error_code(api(mallory).put(url + "❤️")) == "chat_not_found"
    assert error_code(api(alice).put(
        f"/api/chats/{pair}/messages/{sent['msg_id']}/reactions/❤️")) == "message_not_found"
    assert api(bob).delete(url + "❤️").get_json()["message"]["reactions"] == []


# --- catching up on changes ----------------------------------------------------------------


def test_a_client_that_was_away_catches_up_on_changes_to_old_messages(app, api, sio, group,
                                                                       alice, bob):
    a = sio(api(alice))
    old = [send(a, group, f"message {i}", f"c-{i}")["message"] for i in range(3)]
    page = api(bob).get(f"/api/chats/{group}/messages").get_json()
    since = page["last_change"]
    # bob is away: alice edits one, carol... alice reacts to another and recalls the third.
    assert edit(a, group, old[0]["msg_id"], "message zero")["ok"]
    assert react(a, group, old[1]["msg_id"], "👀")["ok"]
    assert a.emit("recall_message", {"chat_id": group, "msg_id": old[2]["msg_id"]},
                  callback=True)["ok"]
    assert edit(a, group, old[0]["msg_id"], "message 0 (final)")["ok"]
    changed = api(bob).get(f"/api/chats/{group}/changes?after={since}").get_json()
    assert [m["msg_id"] for m in changed["messages"]] == [
        old[1]["msg_id"], old[2]["msg_id"], old[0]["msg_id"]]  # once each, in change order
    assert changed["messages"][2]["msg_text"] == "message 0 (final)"
    assert changed["messages"][1]["recalled"] and changed["has_more"] is False
    assert changed["last_change"] == since + 4
    after = api(bob).get(f"/api/chats/{group}/changes?after={changed['last_change']}")
    assert after.get_json()["messages"] == []
    # Pages of changes: a limit, and where to go on from.
    first = api(bob).get(f"/api/chats/{group}/changes?after={since}&limit=2").get_json()
    assert first["has_more"] and len(first["messages"]) == 2
    rest = api(bob).get(f"/api/chats/{group}/changes?after={first['last_change']}").get_json()
    assert [m["msg_id"] for m in first["messages"] + rest["messages"]] == [
        m["msg_id"] for m in changed["messages"]]
    # The socket's catch_up says the same.
    b = sio(api(bob))
    caught = b.emit("catch_up", {"chats": [{"chat_id": group, "after": old[-1]["seq"],
                                            "changed_after": since}]}, callback=True)
    chat = caught["chats"][0]
    assert chat["messages"] == [] and chat["last_change"] == since + 4
    assert [m["msg_id"] for m in chat["changed"]] == [m["msg_id"] for m in changed["messages"]]


def test_changes_are_for_members_only(api, group, alice, mallory):
    assert error_code(api(mallory).get(f"/api/chats/{group}/changes?after=0")) == (
        "chat_not_found")
    assert error_code(api(alice).get(f"/api/chats/{group}/changes")) == "invalid_payload"
    assert error_code(api(alice).get(f"/api/chats/{group}/changes?after=-1")) == (
        "invalid_payload")
