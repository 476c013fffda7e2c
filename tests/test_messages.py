"""Real-time messaging: send, deliver exactly once, history, receipts, recall, typing, presence."""

import threading
import time

import pytest
from sqlalchemy import event, select

from chatapp.extensions import db
from chatapp.models import Membership, Message, User, message_reads
from tests.helpers import events


def send(sock, chat_id, text, client_msg_id):
    return sock.emit("send_message", {"chat_id": chat_id, "text": text,
                                      "client_msg_id": client_msg_id}, callback=True)


def stored(app, chat_id, kind="text"):
    with app.app_context():
        return [(m.seq, m.msg_text, m.sender_id) for m in db.session.scalars(
            select(Message).where(Message.chat_id == chat_id, Message.msg_type == kind)
            .order_by(Message.seq))]


def created(sock):
    return [p["message"] for p in events(sock, "message_created")
            if p["message"]["msg_type"] != "system"]


# --- sending -------------------------------------------------------------------------------


def test_send_reaches_every_tab_once_and_acks_the_stored_message(app, api, sio, pair, alice,
                                                                 bob, mallory):
    a_api, b_api = api(alice), api(bob)
    a1, a2, b1, b2 = sio(a_api), sio(a_api), sio(b_api), sio(b_api)
    outsider = sio(api(mallory))
    for sock in (a1, a2, b1, b2, outsider):
        events(sock)

    ack = send(a1, pair, "  hello bob \r\n ", "c-1")
    assert ack["ok"] is True and ack["created"] is True
    message = ack["message"]
    assert message["msg_text"] == "hello bob" and message["sender"]["user_name"] == "alice"
    assert message["client_msg_id"] == "c-1" and message["seq"] >= 1
    assert stored(app, pair) == [(message["seq"], "hello bob", alice.user_id)]
    for sock in (a1, a2, b1, b2):
        assert [m["msg_id"] for m in created(sock)] == [message["msg_id"]]
    assert events(outsider) == []


def test_client_id_reused_in_another_chat_is_refused(app, api, sio, pair, group, alice):
    a = sio(api(alice))
    assert send(a, pair, "first", "same-id")["ok"]
    ack = send(a, group, "second", "same-id")
    assert ack["ok"] is False and ack["error"]["code"] == "client_msg_id_reused"
    assert stored(app, group) == []


def test_retry_with_the_same_client_id_is_idempotent(app, api, sio, pair, alice, bob):
    a, b = sio(api(alice)), sio(api(bob))
    first = send(a, pair, "once", "retry-me")
    events(b)
    second = send(a, pair, "once (retried)", "retry-me")
    assert second["ok"] and second["created"] is False
    assert second["message"]["msg_id"] == first["message"]["msg_id"]
    assert second["message"]["msg_text"] == "once"
    assert created(b) == []  # nobody is told twice
    assert len(stored(app, pair)) == 1
    http = api(alice).post(f"/api/chats/{pair}/messages",
                           json={"text": "once", "client_msg_id": "retry-me"})
    assert http.status_code == 200 and http.get_json()["created"] is False


def test_send_over_http_uses_the_same_service(app, api, sio, pair, alice, bob):
    b = sio(api(bob))
    events(b)
    response = api(alice).post(f"/api/chats/{pair}/messages",
                               json={"text": "from a script", "client_msg_id": "http-1"})
    assert response.status_code == 201
    assert [m["msg_text"] for m in created(b)] == ["from a script"]


def read_position(app, chat_id, user_id):
    with app.app_context():
        return db.session.scalar(select(Membership.last_read_seq).where(
            Membership.chat_id == chat_id, Membership.user_id == user_id))


def readers_of(app, msg_id):
    with app.app_context():
        return set(db.session.scalars(select(message_reads.c.user_id).where(
            message_reads.c.msg_id == msg_id)))


def test_a_send_is_one_event_that_also_moves_the_senders_read_position(app, api, sio, group,
                                                                       alice, bob, carol):
    earlier = fill(api, bob, group, 2)  # alice has not read these
    a, c = sio(api(alice)), sio(api(carol))
    events(c)
    ack = send(a, group, "caught up", "one-event")
    seq = ack["message"]["seq"]
    assert events(c) == [("message_created",  # and nothing else
                          {"message": ack["message"], "sender_read_seq": seq})]
    assert read_position(app, group, alice.user_id) == seq
    # Everything up to it counts as read by alice: bob's two and her own.
    for msg_id in [m["msg_id"] for m in earlier] + [ack["message"]["msg_id"]]:
        assert alice.user_id in readers_of(app, msg_id)
    # The usual case, a reply right after: only the new message is added.
    again = send(a, group, "and again", "one-event-2")["message"]
    assert read_position(app, group, alice.user_id) == again["seq"]
    assert readers_of(app, again["msg_id"]) == {alice.user_id}


def test_a_send_is_one_write_transaction_of_a_few_statements(app, api, sio, group, alice):
    """The send path's statement budget (bench/send_path.py shows them): the user's load, then
    one write transaction: membership with chat, position, message, search index, read row,
    read position. A change that adds a statement to every send shows here."""
    a = sio(api(alice))
    send(a, group, "warm", "budget-0")
    statements = []
    with app.app_context():
        engine = db.engine

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement.split()[0])

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert send(a, group, "counted", "budget-1")["ok"]
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) <= 9, statements
    assert statements.count("SELECT") <= 2, statements


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"text": "   \n ", "client_msg_id": "x"}, "empty_message"),
        ({"text": "x" * 1001, "client_msg_id": "x"}, "message_too_long"),
        ({"text": "hi", "client_msg_id": "has space"}, "invalid_client_msg_id"),
        ({"text": "hi", "client_msg_id": "trailing-newline\n"}, "invalid_client_msg_id"),
        ({"text": "hi"}, "invalid_payload"),
        ({"text": 5, "client_msg_id": "x"}, "invalid_payload"),
        ({"text": "x" * 5000, "client_msg_id": "x"}, "invalid_payload"),
        ({"text": "hi", "client_msg_id": "x", "sender_id": 1}, "invalid_payload"),
        ({"chat_id": "1", "text": "hi", "client_msg_id": "x"}, "invalid_payload"),
    ],
)
def test_bad_sends_are_refused_and_change_nothing(app, api, sio, pair, alice, payload, code):
    a = sio(api(alice))
    ack = a.emit("send_message", {"chat_id": pair, **payload}, callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == code
    assert stored(app, pair) == []
    assert a.is_connected()  # the server carries on


def test_payload_that_is_not_an_object(app, api, sio, pair, alice):
    a = sio(api(alice))
    for payload in (None, "hello", [1, 2], 42):
        ack = a.emit("send_message", payload, callback=True)
        assert ack["ok"] is False and ack["error"]["code"] == "invalid_payload"
    assert stored(app, pair) == []


def test_text_of_exactly_1000_characters_after_trimming_is_accepted(api, sio, pair, alice):
    ack = send(sio(api(alice)), pair, "  " + "字" * 1000 + "  ", "long")
    assert ack["ok"] and len(ack["message"]["msg_text"]) == 1000


def test_non_members_and_missing_chats_are_not_found(app, api, sio, pair, mallory):
    m = sio(api(mallory))
    for chat_id in (pair, pair + 100):
        ack = send(m, chat_id, "let me in", f"m-{chat_id}")
        assert ack["error"]["code"] == "chat_not_found"
    assert stored(app, pair) == []


def test_private_chat_after_unfriending_refuses_new_messages(app, api, sio, pair, alice, bob,
                                                             befriend):
    api(alice).delete(f"/api/friends/{bob.user_id}")
    ack = send(sio(api(bob)), pair, "still there?", "u-1")
    assert ack["ok"] is False and ack["error"]["code"] == "not_friends"
    befriend(alice, bob)
    assert send(sio(api(bob)), pair, "friends again", "u-2")["ok"]


def test_dissolved_group_refuses_messages(app, api, sio, group, alice, bob):
    b = sio(api(bob))
    api(alice).delete(f"/api/chats/{group}")
    assert send(b, group, "anyone?", "d-1")["error"]["code"] == "chat_not_found"


def test_revoked_session_socket_is_refused_and_disconnected(app, api, sio, pair, alice):
    first = api(alice)
    sock = sio(first)
    api(alice).post("/api/me/password", json={"current_password": alice.password,
                                              "new_password": "brand new password"})
    # The server cuts the socket of the ended session by itself; it can send nothing more.
    deadline = time.monotonic() + 2
    while sock.is_connected() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not sock.is_connected()
    with pytest.raises(RuntimeError, match="not connected"):
        send(sock, pair, "after the password changed", "r-1")
    assert stored(app, pair) == []


def test_concurrent_senders_everyone_sees_the_same_order(app, api, sio, group, alice, bob,
                                                         carol):
    people = [alice, bob, carol]
    watchers = [sio(api(p)) for p in people] + [sio(api(alice))]
    for sock in watchers:
        events(sock)
    clients = [api(p) for p in people]
    per_sender, barrier = 15, threading.Barrier(len(clients))

    def run(client, name):
        barrier.wait()
        for i in range(per_sender):
            response = client.post(f"/api/chats/{group}/messages",
                                   json={"text": f"{name} {i}", "client_msg_id": f"{name}-{i}"})
            assert response.status_code == 201

    threads = [threading.Thread(target=run, args=(c, p.user_name))
               for c, p in zip(clients, people, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    rows = stored(app, group)
    assert len(rows) == per_sender * 3
    seqs = [seq for seq, _, _ in rows]
    all_seqs = [seq for seq, _, _ in stored(app, group)] + [
        seq for seq, _, _ in stored(app, group, "system")]
    assert sorted(all_seqs) == list(range(1, len(all_seqs) + 1))  # dense, no gaps, no repeats
    # Events leave after each commit, so two senders' events may cross on the wire; the
    # position they carry is the order. Every watcher gets each message exactly once, and
    # ordering by position gives every watcher the stored order.
    expected = [(seq, text) for seq, text, _ in rows]
    for sock in watchers:
        delivered = [(m["seq"], m["msg_text"]) for m in created(sock)]
        assert len(delivered) == len(set(delivered)) == len(expected)
        assert sorted(delivered) == expected
    assert seqs == sorted(seqs)


# --- history and catch-up ------------------------------------------------------------------


def fill(api, person, chat_id, count, prefix="m"):
    client = api(person)
    return [client.post(f"/api/chats/{chat_id}/messages",
                        json={"text": f"{prefix}{i}", "client_msg_id": f"{prefix}-{i}"}
                        ).get_json()["message"] for i in range(count)]


def texts(page):
    return [m["msg_text"] for m in page["messages"] if m["msg_type"] == "text"]


def test_history_pages(app, api, pair, alice, bob):
    sent = fill(api, alice, pair, 30)
    b = api(bob)
    newest = b.get(f"/api/chats/{pair}/messages?limit=10").get_json()
    assert texts(newest) == [f"m{i}" for i in range(20, 30)]
    assert newest["has_more_before"] and not newest["has_more_after"]

    older = b.get(f"/api/chats/{pair}/messages?limit=10"
                  f"&before={newest['messages'][0]['seq']}").get_json()
    assert texts(older) == [f"m{i}" for i in range(10, 20)]
    assert older["has_more_before"] and older["has_more_after"]

    oldest = b.get(f"/api/chats/{pair}/messages?limit=10"
                   f"&before={older['messages'][0]['seq']}").get_json()
    assert texts(oldest) == [f"m{i}" for i in range(10)]
    assert not oldest["has_more_before"]

    after = b.get(f"/api/chats/{pair}/messages?after={sent[24]['seq']}").get_json()
    assert texts(after) == ["m25", "m26", "m27", "m28", "m29"]
    assert not after["has_more_after"] and after["has_more_before"]

    around = b.get(f"/api/chats/{pair}/messages?around={sent[15]['msg_id']}&limit=6").get_json()
    assert texts(around) == ["m12", "m13", "m14", "m15", "m16", "m17"]
    assert around["has_more_before"] and around["has_more_after"]


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "before=-1", "after=x", "around=0",
                                   "sort=desc"])
def test_history_bad_queries(api, pair, alice, query):
    response = api(alice).get(f"/api/chats/{pair}/messages?{query}")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_payload"


def test_history_is_for_members_only(api, pair, alice, mallory):
    sent = fill(api, alice, pair, 1)
    m = api(mallory)
    for query in ("", f"?around={sent[0]['msg_id']}", "?after=0"):
        response = m.get(f"/api/chats/{pair}/messages{query}")
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "chat_not_found"


def test_around_a_message_of_another_chat_is_not_found(api, pair, group, alice):
    other = fill(api, alice, group, 1)[0]
    response = api(alice).get(f"/api/chats/{pair}/messages?around={other['msg_id']}")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "message_not_found"


def test_reconnect_catch_up_gives_every_message_exactly_once_in_order(app, api, sio, pair,
                                                                     alice, bob):
    b_api = api(bob)
    tab = sio(b_api)
    events(tab)
    fill(api, alice, pair, 5, prefix="before")
    received = created(tab)
    last_seen = received[-1]["seq"]
    tab.disconnect()

    fill(api, alice, pair, 7, prefix="offline")
    tab = sio(b_api)  # reconnect
    live_after_reconnect = []

    # Catch up page by page while new messages keep arriving live.
    missed, cursor = [], last_seen
    while True:
        page = b_api.get(f"/api/chats/{pair}/messages?after={cursor}&limit=3").get_json()
        missed += page["messages"]
        if page["messages"]:
            cursor = page["messages"][-1]["seq"]
        if not page["has_more_after"]:
            break
        if len(missed) == 3:
            fill(api, alice, pair, 2, prefix="during")
    live_after_reconnect = created(tab)

    by_seq = {}
    for message in received + missed + live_after_reconnect:
        by_seq.setdefault(message["seq"], message)  # the client keeps one copy per position
    timeline = [by_seq[s]["msg_text"] for s in sorted(by_seq)]
    full = texts(b_api.get(f"/api/chats/{pair}/messages?limit=100").get_json())
    assert timeline == full
    assert len(full) == 14 and full[:5] == [f"before{i}" for i in range(5)]


# --- read receipts -------------------------------------------------------------------------


def test_mark_read_moves_position_receipts_and_tells_the_chat(app, api, sio, group, alice, bob,
                                                              carol):
    sent = fill(api, alice, group, 4)
    a, b = sio(api(alice)), sio(api(bob))
    events(a)
    with app.app_context():
        before = db.session.get(Message, sent[1]["msg_id"]).update_time
    ack = b.emit("mark_read", {"chat_id": group, "up_to_seq": sent[1]["seq"]}, callback=True)
    assert ack == {"ok": True, "read_seq": sent[1]["seq"]}
    assert events(a, "messages_read") == [{"chat_id": group, "user_id": bob.user_id,
                                           "up_to_seq": sent[1]["seq"]}]
    with app.app_context():
        readers = {m: set(db.session.scalars(select(message_reads.c.user_id).where(
            message_reads.c.msg_id == m))) for m in (s["msg_id"] for s in sent)}
        assert readers[sent[0]["msg_id"]] == {alice.user_id, bob.user_id}
        assert readers[sent[2]["msg_id"]] == {alice.user_id}  # own messages are read by sender
        assert db.session.get(Message, sent[1]["msg_id"]).update_time > before
        position = db.session.scalar(select(Membership.last_read_seq).where(
            Membership.chat_id == group, Membership.user_id == bob.user_id))
        assert position == sent[1]["seq"]

    # Backwards changes nothing and tells no one; beyond the end is capped.
    assert b.emit("mark_read", {"chat_id": group, "up_to_seq": 1}, callback=True)["read_seq"] \
        == sent[1]["seq"]
    assert events(a, "messages_read") == []
    capped = b.emit("mark_read", {"chat_id": group, "up_to_seq": 10**9}, callback=True)
    assert capped["read_seq"] == sent[-1]["seq"]

    receipt = api(alice).get(f"/api/chats/{group}/messages/{sent[0]['msg_id']}/receipts")
    body = receipt.get_json()
    assert [u["user_name"] for u in body["read_by"]] == ["bob"]
    assert body["read_count"] == 1 and body["unread_count"] == 1  # carol has not


def test_marking_thousands_read_is_a_few_statements(app, api, group, alice, bob):
    with app.app_context():
        from chatapp.database import write_transaction
        from chatapp.models import MsgType
        from chatapp.services.messages import append_message
        with write_transaction():
            for i in range(3000):
                append_message(group, alice.user_id, MsgType.TEXT, f"bulk {i}")
    b = api(bob)
    statements = []
    with app.app_context():
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            response = b.post(f"/api/chats/{group}/read", json={"up_to_seq": 10**6})
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
    assert response.status_code == 200
    writes = [s for s in statements if s.split()[0].upper() in {"INSERT", "UPDATE"}]
    assert len(writes) <= 3, writes
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(message_reads).where(
            message_reads.c.user_id == bob.user_id)) == 3000


def test_new_members_start_with_nothing_unread(api, befriend, group, alice, make_user):
    fill(api, alice, group, 3, prefix="old")
    dave = make_user("dave")
    befriend(alice, dave)
    api(alice).post(f"/api/chats/{group}/members", json={"user_ids": [dave.user_id]})
    listed = api(dave).get("/api/chats").get_json()["chats"]
    assert [c["unread"] for c in listed] == [0]
    fill(api, alice, group, 1, prefix="new")
    assert [c["unread"] for c in api(dave).get("/api/chats").get_json()["chats"]] == [1]


def test_private_receipt(api, pair, alice, bob):
    sent = fill(api, alice, pair, 1)[0]
    url = f"/api/chats/{pair}/messages/{sent['msg_id']}/receipts"
    assert api(alice).get(url).get_json()["read_count"] == 0
    api(bob).post(f"/api/chats/{pair}/read", json={"up_to_seq": sent["seq"]})
    body = api(alice).get(url).get_json()
    assert body["read_count"] == 1 and body["unread_count"] == 0


def test_chat_list_last_message_and_unread(api, pair, group, alice, bob):
    fill(api, alice, group, 3, prefix="g")
    fill(api, alice, pair, 2, prefix="p")
    chats = api(bob).get("/api/chats").get_json()["chats"]
    assert [c["chat_id"] for c in chats] == [pair, group]
    assert [c["unread"] for c in chats] == [2, 3]
    assert chats[0]["last_message"]["msg_text"] == "p1"
    assert chats[0]["other_user"]["user_name"] == "alice"
    assert chats[0]["other_user"]["online"] is False
    api(bob).post(f"/api/chats/{group}/read", json={"up_to_seq": 10**6})
    assert [c["unread"] for c in api(bob).get("/api/chats").get_json()["chats"]] == [2, 0]
    # Sending in a chat means one has read it.
    api(bob).post(f"/api/chats/{pair}/messages", json={"text": "hi", "client_msg_id": "b1"})
    assert [c["unread"] for c in api(bob).get("/api/chats").get_json()["chats"]] == [0, 0]


# --- recall --------------------------------------------------------------------------------


def test_recall_within_the_window(app, api, sio, group, alice, bob):
    b = sio(api(bob))
    ack = send(b, group, "oops, wrong chat", "r-1")
    watcher = sio(api(alice))
    events(watcher)
    recalled = b.emit("recall_message", {"chat_id": group, "msg_id": ack["message"]["msg_id"]},
                      callback=True)
    assert recalled["ok"] and recalled["message"]["recalled"] is True
    assert recalled["message"]["msg_text"] == ""
    assert events(watcher, "message_recalled")[0]["message"]["msg_id"] == ack["message"]["msg_id"]
    with app.app_context():
        row = db.session.get(Message, ack["message"]["msg_id"])
        assert row.msg_text == "" and row.recalled_at is not None and row.recalled_by == bob.user_id
    again = b.emit("recall_message", {"chat_id": group, "msg_id": ack["message"]["msg_id"]},
                   callback=True)
    assert again["error"]["code"] == "already_recalled"


def test_recall_refusals_and_moderators(make_app, app, api, sio, group, alice, bob, carol):
    b, c = sio(api(bob)), sio(api(carol))
    bobs = send(b, group, "bob's words", "b-1")["message"]
    refused = c.emit("recall_message", {"chat_id": group, "msg_id": bobs["msg_id"]},
                     callback=True)
    assert refused["error"]["code"] == "not_your_message"
    app.config["RECALL_WINDOW_SECONDS"] = -1  # every message is now too old
    late = b.emit("recall_message", {"chat_id": group, "msg_id": bobs["msg_id"]}, callback=True)
    assert late["error"]["code"] == "recall_window_passed"
    with app.app_context():
        notice = db.session.scalar(select(Message.msg_id).where(Message.msg_type == "system"))
    assert b.emit("recall_message", {"chat_id": group, "msg_id": notice},
                  callback=True)["error"]["code"] == "cannot_recall_notice"
    assert stored(app, group) == [(bobs["seq"], "bob's words", bob.user_id)]
    # The owner removes any message in the group, at any time.
    a = sio(api(alice))
    removed = a.emit("recall_message", {"chat_id": group, "msg_id": bobs["msg_id"]},
                     callback=True)
    assert removed["ok"] and removed["message"]["recalled"]


def test_recall_in_someone_elses_chat_is_not_found(api, sio, group, pair, alice, mallory):
    sent = fill(api, alice, group, 1)[0]
    ack = sio(api(mallory)).emit("recall_message", {"chat_id": group, "msg_id": sent["msg_id"]},
                                 callback=True)
    assert ack["error"]["code"] == "chat_not_found"
    ack = sio(api(alice)).emit("recall_message", {"chat_id": pair, "msg_id": sent["msg_id"]},
                               callback=True)
    assert ack["error"]["code"] == "message_not_found"


# --- typing and presence -------------------------------------------------------------------


def test_typing_reaches_the_others_throttled(api, sio, group, alice, bob, mallory):
    a1, b1, m1 = sio(api(alice)), sio(api(bob)), sio(api(mallory))
    for sock in (a1, b1, m1):
        events(sock)
    assert a1.emit("typing", {"chat_id": group}, callback=True) == {"ok": True,
                                                                    "throttled": False}
    assert a1.emit("typing", {"chat_id": group}, callback=True)["throttled"] is True
    typing = events(b1, "typing")
    assert typing == [{"chat_id": group, "user": typing[0]["user"]}]
    assert typing[0]["user"]["user_name"] == "alice"
    assert events(a1, "typing") == [] and events(m1) == []
    assert sio(api(mallory)).emit("typing", {"chat_id": group},
                                  callback=True)["error"]["code"] == "chat_not_found"


def test_presence_several_tabs_count_once(app, api, sio, pair, alice, bob):
    watcher = sio(api(bob))
    events(watcher)
    a_api = api(alice)
    tab1 = sio(a_api)
    assert events(watcher, "presence_changed") == [{"user_id": alice.user_id, "online": True,
                                                    "last_seen": None}]
    tab2 = sio(a_api)
    assert events(watcher, "presence_changed") == []
    chats = api(bob).get("/api/chats").get_json()["chats"]
    assert chats[0]["other_user"]["online"] is True
    tab1.disconnect()
    assert events(watcher, "presence_changed") == []
    tab2.disconnect()
    offline = events(watcher, "presence_changed")
    assert len(offline) == 1 and offline[0]["online"] is False and offline[0]["last_seen"]
    with app.app_context():
        assert db.session.get(User, alice.user_id).last_seen == offline[0]["last_seen"]


def test_socket_handlers_release_their_connections(app, api, sio, pair, alice):
    a = sio(api(alice))
    for i in range(30):
        send(a, pair, f"n{i}", f"pool-{i}")
        a.emit("send_message", {"bad": True}, callback=True)
    with app.app_context():
        assert db.engine.pool.checkedout() == 0
