"""Server-side catch-up (the ``catch_up`` event): after a reconnect, a client sends its last
contiguous position per chat and gets what it missed, in order, exactly once."""

from tests.helpers import events


def send(sock, chat_id, n):
    ack = sock.emit("send_message", {"chat_id": chat_id, "text": f"m{n}",
                                     "client_msg_id": f"c-{n}"}, callback=True)
    assert ack["ok"], ack
    return ack["message"]


def setup_pair(api, befriend, alice, bob):
    befriend(alice, bob)
    return api(alice).post("/api/chats/private", json={"user_id": bob.user_id}
                           ).get_json()["chat"]["chat_id"]


def test_a_client_that_saw_a_later_message_live_still_gets_the_gap(api, sio, befriend, alice,
                                                                   bob):
    """The trap of catching up from the highest seq seen: a live event past a gap hides it.
    From the last contiguous position, the gap comes back, in order, once."""
    chat = setup_pair(api, befriend, alice, bob)
    bob_sock = sio(api(bob))
    sent = [send(bob_sock, chat, n) for n in range(1, 6)]  # seq 1..5
    # alice held seq 1..2, was offline for 3..4, and saw 5 live after reconnecting.
    alice_sock = sio(api(alice))
    ack = alice_sock.emit("catch_up", {"chats": [{"chat_id": chat, "after": 2}]}, callback=True)
    assert ack["ok"], ack
    [answer] = ack["chats"]
    assert answer["chat_id"] == chat and answer["has_more_after"] is False
    assert [m["seq"] for m in answer["messages"]] == [3, 4, 5]
    assert [m["msg_id"] for m in answer["messages"]] == [m["msg_id"] for m in sent[2:]]
    assert answer["last_seq"] == 5


def test_chats_one_is_not_in_answer_exactly_like_missing_ones(api, sio, befriend, alice, bob,
                                                              mallory):
    chat = setup_pair(api, befriend, alice, bob)
    sock = sio(api(mallory))
    ack = sock.emit("catch_up", {"chats": [{"chat_id": chat, "after": 0},
                                           {"chat_id": chat + 1000, "after": 0}]}, callback=True)
    assert ack["ok"], ack
    hidden, missing = ack["chats"]
    assert hidden["error"] == missing["error"] == {"code": "chat_not_found",
                                                   "message": "Chat not found."}
    assert set(hidden) == set(missing) == {"chat_id", "error"}


def test_a_long_absence_is_paged_and_the_rest_comes_from_history(app, api, sio, befriend, alice,
                                                                 bob):
    chat = setup_pair(api, befriend, alice, bob)
    bob_api = api(bob)
    for n in range(130):
        assert bob_api.post(f"/api/chats/{chat}/messages",
                            json={"text": f"m{n}", "client_msg_id": f"h-{n}"}).status_code == 201
    sock = sio(api(alice))
    ack = sock.emit("catch_up", {"chats": [{"chat_id": chat, "after": 0}]}, callback=True)
    [answer] = ack["chats"]
    assert len(answer["messages"]) == 100 and answer["has_more_after"] is True
    rest = api(alice).get(f"/api/chats/{chat}/messages?after=100").get_json()
    seqs = [m["seq"] for m in answer["messages"]] + [m["seq"] for m in rest["messages"]]
    assert seqs == list(range(1, 131))


def test_catch_up_is_only_an_answer_to_the_asking_socket(api, sio, befriend, alice, bob):
    chat = setup_pair(api, befriend, alice, bob)
    bob_sock = sio(api(bob))
    send(bob_sock, chat, 1)
    other_tab = sio(api(alice))
    events(other_tab)
    sock = sio(api(alice))
    sock.emit("catch_up", {"chats": [{"chat_id": chat, "after": 0}]}, callback=True)
    assert events(other_tab) == []  # nothing is broadcast
    assert events(sock, "message_created") == []  # the answer is the ack itself


def test_bad_catch_up_payloads_are_refused(api, sio, befriend, alice, bob):
    chat = setup_pair(api, befriend, alice, bob)
    sock = sio(api(alice))
    for payload in ({}, {"chats": [{"chat_id": chat}]},
                    {"chats": [{"chat_id": chat, "after": -1}]},
                    {"chats": [{"chat_id": chat, "after": 0}] * 501},
                    {"chats": [{"chat_id": str(chat), "after": 0}]}):
        ack = sock.emit("catch_up", payload, callback=True)
        assert ack["ok"] is False and ack["error"]["code"] == "invalid_payload", payload
