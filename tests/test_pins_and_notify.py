"""Pins (a chat's messages kept at hand) and each member's notification level for a chat."""

from sqlalchemy import select

from chatapp.extensions import db
from chatapp.limits import PINS_MAX
from chatapp.models import Membership, Message
from tests.helpers import error_code, events


def send(sock, chat_id, text, cmid):
    return sock.emit("send_message", {"chat_id": chat_id, "text": text, "client_msg_id": cmid},
                     callback=True)["message"]


def pin(sock, chat_id, msg_id, on=True):
    return sock.emit("pin_message", {"chat_id": chat_id, "msg_id": msg_id, "on": on},
                     callback=True)


def pinned(client, chat_id):
    return [m["msg_id"] for m in client.get(f"/api/chats/{chat_id}/pins").get_json()["messages"]]


def test_group_owner_and_admins_pin_and_everyone_sees_it_live(app, api, sio, group, alice, bob,
                                                            carol):
    a, b, c = sio(api(alice)), sio(api(bob)), sio(api(carol))
    first = send(b, group, "the runbook is at /wiki/runbook", "p-1")
    second = send(c, group, "on call this week: carol", "p-2")
    events(c)
    ack = pin(a, group, first["msg_id"])
    assert ack["ok"] and ack["message"]["pinned_at"]
    assert ack["message"]["pinned_by"] == alice.user_id
    assert ack["message"]["change_seq"] > 0
    assert [e["message"]["msg_id"] for e in events(c, "message_pinned")] == [first["msg_id"]]
    assert pin(c, group, second["msg_id"])["error"]["code"] == "insufficient_role"
    api(alice).put(f"/api/chats/{group}/members/{bob.user_id}/role", json={"privilege": "admin"})
    assert pin(b, group, second["msg_id"])["ok"]
    assert pinned(api(carol), group) == [second["msg_id"], first["msg_id"]]  # latest first
    # Again changes nothing and tells nobody; unpinning takes it off the list.
    events(c)
    assert pin(a, group, first["msg_id"])["message"] == ack["message"]
    assert events(c, "message_pinned") == []
    assert pin(a, group, first["msg_id"], on=False)["message"]["pinned_at"] is None
    assert pinned(api(carol), group) == [second["msg_id"]]


def test_both_people_of_a_private_chat_pin(api, sio, pair, alice, bob):
    a, b = sio(api(alice)), sio(api(bob))
    mine = send(a, pair, "flight AB123, gate 4", "pp-1")
    assert pin(b, pair, mine["msg_id"])["ok"]
    assert pinned(api(alice), pair) == [mine["msg_id"]]


def test_pin_refusals(app, api, sio, group, pair, alice, mallory):
    a = sio(api(alice))
    sent = send(a, group, "x", "pr-1")
    assert pin(sio(api(mallory)), group, sent["msg_id"])["error"]["code"] == "chat_not_found"
    assert pin(a, pair, sent["msg_id"])["error"]["code"] == "message_not_found"
    with app.app_context():
        notice = db.session.scalar(select(Message.msg_id).where(Message.msg_type == "system",
                                                               Message.chat_id == group))
    assert pin(a, group, notice)["error"]["code"] == "cannot_pin_notice"
    assert pin(a, group, sent["msg_id"])["ok"]
    assert a.emit("recall_message", {"chat_id": group, "msg_id": sent["msg_id"]},
                  callback=True)["message"]["pinned_at"] is None  # a recall unpins
    assert pinned(api(alice), group) == []
    assert pin(a, group, sent["msg_id"])["error"]["code"] == "already_recalled"
    assert error_code(api(mallory).get(f"/api/chats/{group}/pins")) == "chat_not_found"


def test_a_chat_takes_a_limited_number_of_pins(app, api, sio, group, alice):
    a = sio(api(alice))
    ids = [send(a, group, f"m{i}", f"pl-{i}")["msg_id"] for i in range(PINS_MAX + 1)]
    for msg_id in ids[:PINS_MAX]:
        assert pin(a, group, msg_id)["ok"]
    assert pin(a, group, ids[-1])["error"]["code"] == "too_many_pins"
    assert pin(a, group, ids[0], on=False)["ok"] and pin(a, group, ids[-1])["ok"]


def test_pins_over_http(api, group, alice, carol):
    sent = api(carol).post(f"/api/chats/{group}/messages",
                           json={"text": "hi", "client_msg_id": "ph-1"}).get_json()["message"]
    url = f"/api/chats/{group}/messages/{sent['msg_id']}/pin"
    assert api(alice).put(url).get_json()["message"]["pinned_at"]
    assert error_code(api(carol).delete(url)) == "insufficient_role"
    assert api(alice).delete(url).get_json()["message"]["pinned_at"] is None


# --- notification level ----------------------------------------------------------------------


def test_each_member_sets_what_notifies_them(app, api, sio, group, alice, bob):
    a2, b = sio(api(alice)), sio(api(bob))  # another tab of alice's, and bob
    events(a2)
    events(b)
    response = api(alice).put(f"/api/chats/{group}/notify", json={"notify": "none"})
    assert response.status_code == 200 and response.get_json() == {"notify": "none"}
    assert events(a2, "chat_notify_changed") == [{"chat_id": group, "notify": "none"}]
    assert events(b) == []  # nobody else learns it
    chats = {c["chat_id"]: c for c in api(alice).get("/api/chats").get_json()["chats"]}
    assert chats[group]["notify"] == "none"
    assert api(bob).get(f"/api/chats/{group}").get_json()["chat"]["notify"] == "all"
    assert api(alice).put(f"/api/chats/{group}/notify",
                          json={"notify": "mentions"}).get_json() == {"notify": "mentions"}
    with app.app_context():
        assert db.session.scalar(select(Membership.notify).where(
            Membership.chat_id == group, Membership.user_id == alice.user_id)) == "mentions"
    # Muted chats still count unread messages.
    send(b, group, "while muted", "n-1")
    chats = {c["chat_id"]: c for c in api(alice).get("/api/chats").get_json()["chats"]}
    assert chats[group]["unread"] == 1


def test_notify_refusals(api, group, alice, mallory):
    assert error_code(api(alice).put(f"/api/chats/{group}/notify",
                                     json={"notify": "loud"})) == "invalid_payload"
    assert error_code(api(mallory).put(f"/api/chats/{group}/notify",
                                       json={"notify": "none"})) == "chat_not_found"
