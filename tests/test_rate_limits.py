"""Per-user rate limits on sends, uploads, friend requests and searches: one bucket per user
and action, shared by HTTP and Socket.IO; a refusal is 429 ``rate_limited`` with retry-after
and changes nothing."""

import io

import pytest

from chatapp.extensions import limiter
from chatapp.services import accounts
from tests.helpers import PASSWORD, ApiClient, Person, error_code, image_bytes, uploads_in

LIMITS = {
    "RATELIMIT_ENABLED": True,
    "LOGIN_RATE_LIMIT": "1000 per minute",
    "REGISTER_RATE_LIMIT": "1000 per minute",
    "SEND_RATE_LIMIT": "5 per minute",
    "UPLOAD_RATE_LIMIT": "2 per minute",
    "FRIEND_REQUEST_RATE_LIMIT": "2 per hour",
    "SEARCH_RATE_LIMIT": "3 per minute",
}


@pytest.fixture
def app(make_app):
    app = make_app(**LIMITS)
    with app.app_context():
        limiter.reset()  # counters of an earlier test's users (same ids) must not carry over
    return app


def send(client, chat_id, n):
    return client.post(f"/api/chats/{chat_id}/messages",
                       json={"text": f"message {n}", "client_msg_id": f"m-{n}"})


def history_texts(client, chat_id):
    page = client.get(f"/api/chats/{chat_id}/messages").get_json()
    return [m["msg_text"] for m in page["messages"]]


def assert_rate_limited(response, window=60):
    assert response.status_code == 429
    error = response.get_json()["error"]
    assert error["code"] == "rate_limited"
    retry_after = error["details"]["retry_after"]
    assert isinstance(retry_after, int) and 1 <= retry_after <= window
    assert response.headers["Retry-After"] == str(retry_after)


def test_a_flood_of_sends_is_refused_and_stores_nothing_while_others_chat_on(three_chats):
    clients, chats = three_chats
    mallory, alice = clients["mallory"], clients["alice"]
    assert [send(mallory, chats["secret"], n).status_code for n in range(5)] == [201] * 5
    flood = [send(mallory, chats["secret"], n) for n in range(5, 25)]
    for response in flood:
        assert_rate_limited(response)
    assert [t for t in history_texts(mallory, chats["secret"]) if t.startswith("message")] == [
        f"message {n}" for n in range(5)]

    # Her flood spends her bucket only: alice sends as much as her own limit allows.
    assert [send(alice, chats["team"], n).status_code for n in range(5)] == [201] * 5
    assert_rate_limited(send(alice, chats["team"], 5))


def test_socket_and_http_sends_share_one_bucket(three_chats, sio):
    clients, chats = three_chats
    sock = sio(clients["alice"])
    for n in range(3):
        ack = sock.emit("send_message", {"chat_id": chats["team"], "text": f"s{n}",
                                         "client_msg_id": f"s-{n}"}, callback=True)
        assert ack["ok"], ack
    assert [send(clients["alice"], chats["pair"], n).status_code for n in range(2)] == [201] * 2
    ack = sock.emit("send_message", {"chat_id": chats["team"], "text": "one too many",
                                     "client_msg_id": "s-9"}, callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == "rate_limited"
    assert ack["error"]["details"]["retry_after"] >= 1
    assert "one too many" not in history_texts(clients["alice"], chats["team"])
    assert_rate_limited(send(clients["alice"], chats["pair"], 9))


def test_a_retry_of_a_stored_send_is_not_refused(three_chats):
    """The client retries a send whose answer it lost: it gets the stored message, even when
    the limit is used up meanwhile, so a retry can never turn a sent message into an error."""
    clients, chats = three_chats
    alice = clients["alice"]
    assert [send(alice, chats["team"], n).status_code for n in range(5)] == [201] * 5
    again = send(alice, chats["team"], 4)
    assert again.status_code == 200, again.get_json()
    assert again.get_json()["message"]["msg_text"] == "message 4"


def upload(client, chat_id, n):
    return client.post(f"/api/chats/{chat_id}/files", data={
        "file": (io.BytesIO(image_bytes()), f"photo{n}.png"), "client_msg_id": f"f-{n}"},
        content_type="multipart/form-data")


def test_uploads_are_limited_and_a_refused_one_stores_no_file(app, three_chats):
    clients, chats = three_chats
    assert [upload(clients["alice"], chats["team"], n).status_code for n in range(2)] == [201] * 2
    stored = uploads_in(app, "files")
    assert_rate_limited(upload(clients["alice"], chats["team"], 2))
    assert uploads_in(app, "files") == stored
    # An upload is also a send; a refused upload spent nothing of the send bucket.
    assert [send(clients["alice"], chats["team"], n).status_code for n in range(3)] == [201] * 3
    assert_rate_limited(send(clients["alice"], chats["team"], 3))


def test_friend_requests_are_limited(api, alice, make_user):
    client = api(alice)
    others = [make_user(f"friend{n}") for n in range(3)]
    sent = [client.post("/api/friend-requests", json={"user_id": p.user_id}) for p in others]
    assert [r.status_code for r in sent[:2]] == [201, 201]
    assert_rate_limited(sent[2], window=3600)
    assert len(client.get("/api/friend-requests").get_json()["outgoing"]) == 2


def test_searches_are_limited_on_the_api_and_the_page(three_chats):
    clients, chats = three_chats
    alice = clients["alice"]
    assert [alice.get("/api/search?q=hello").status_code for _ in range(3)] == [200] * 3
    assert_rate_limited(alice.get("/api/search?q=hello"))
    page = alice.client.get("/search?q=hello")
    assert page.status_code == 429
    assert "Wait a moment" in page.get_data(as_text=True)
    # A query refused before it runs (blank) spends nothing, and others still search.
    assert error_code(clients["bob"].get("/api/search?q=%20")) == "empty_query"
    assert [clients["bob"].get("/api/search?q=hello").status_code
            for _ in range(3)] == [200] * 3


def test_limits_are_off_when_rate_limiting_is(make_app):
    app = make_app(**{**LIMITS, "RATELIMIT_ENABLED": False})
    with app.app_context():
        accounts.register_user("zed", PASSWORD)
    zed = ApiClient(app.test_client()).login(Person(1, "zed"))
    chat = zed.post("/api/chats", json={"chat_name": "solo"}).get_json()["chat"]["chat_id"]
    assert {send(zed, chat, n).status_code for n in range(12)} == {201}
