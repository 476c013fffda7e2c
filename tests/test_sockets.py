"""Socket.IO connections: logged-in users only, each in their own room, sessions released."""

from chatapp.extensions import db, socketio
from chatapp.message_queue import WatchedRedisManager, queue_state
from chatapp.realtime import chat_room, emit, user_room


def test_anonymous_socket_is_refused(app, api, sio):
    sock = sio(api())
    assert not sock.is_connected()


def test_logged_in_socket_connects_and_joins_its_user_room(app, api, sio, alice, bob):
    alice_api = api(alice)
    tab1, tab2 = sio(alice_api), sio(alice_api)
    bobs = sio(api(bob))
    assert tab1.is_connected() and tab2.is_connected() and bobs.is_connected()

    with app.app_context():
        emit("ping_test", {"n": 1}, user_room(alice.user_id))
    assert [e["args"][0] for e in tab1.get_received()] == [{"n": 1}]
    assert [e["args"][0] for e in tab2.get_received()] == [{"n": 1}]
    assert bobs.get_received() == []


def test_socket_of_a_logged_out_session_is_refused(app, api, sio, alice):
    client = api(alice)
    client.post("/api/auth/logout")
    assert not sio(client).is_connected()


def test_handlers_give_their_database_connection_back(app, api, sio, alice):
    client = api(alice)
    for _ in range(20):
        sock = sio(client)
        assert sock.is_connected()
        sock.disconnect()
    with app.app_context():
        assert db.engine.pool.checkedout() == 0


def test_room_names_are_distinct():
    assert user_room(1) != chat_room(1)
    assert user_room(1) == "user:1" and chat_room(7) == "chat:7"


def test_same_origin_only_by_default(app):
    allowed = socketio.server.eio.cors_allowed_origins
    environ = {"wsgi.url_scheme": "http", "HTTP_HOST": "chat.local:5000"}
    assert allowed("http://chat.local:5000", environ)
    assert not allowed("http://evil.example", environ)
    assert not allowed("https://chat.local:5000", environ)
    # Forwarded headers are anyone's to send: they never widen the check by themselves.
    forged = {**environ, "HTTP_X_FORWARDED_PROTO": "https",
              "HTTP_X_FORWARDED_HOST": "evil.example"}
    assert not allowed("https://evil.example", forged)


def test_the_socketio_server_takes_its_settings_from_the_app(make_app):
    """Each app binds the server to its own config: threads when nothing is monkey-patched,
    its payload limit, and its message queue (none when unset)."""
    make_app(SOCKETIO_MAX_PAYLOAD=4096)
    assert socketio.server.async_mode == "threading"
    assert socketio.server.eio.max_http_buffer_size == 4096
    assert queue_state(socketio) == "none"

    make_app(SOCKETIO_MESSAGE_QUEUE="redis://127.0.0.1:1/0", SOCKETIO_CHANNEL="team-chat")
    manager = socketio.server.manager
    assert isinstance(manager, WatchedRedisManager)
    assert (manager.redis_url, manager.channel) == ("redis://127.0.0.1:1/0", "team-chat")
    assert socketio.server.eio.max_http_buffer_size == 64 * 1024  # the default again


HANDSHAKE = "/socket.io/?EIO=4&transport=polling"


def test_a_forged_forwarded_host_does_not_pass_the_origin_check(app, api, alice):
    client = api(alice).client
    forged = client.get(HANDSHAKE, headers={
        "Origin": "http://evil.example", "X-Forwarded-Host": "evil.example"})
    assert forged.status_code == 400 and b"sid" not in forged.data
    own = client.get(HANDSHAKE, headers={"Origin": "http://localhost"})
    assert own.status_code == 200 and b"sid" in own.data


def test_behind_a_trusted_proxy_its_public_origin_is_the_own_origin(make_app):
    client = make_app(TRUSTED_PROXIES=1).test_client()
    proxied = client.get(HANDSHAKE, headers={
        "Origin": "https://chat.example", "X-Forwarded-Host": "chat.example",
        "X-Forwarded-Proto": "https"})
    assert proxied.status_code == 200 and b"sid" in proxied.data
    other = client.get(HANDSHAKE, headers={
        "Origin": "https://evil.example", "X-Forwarded-Host": "chat.example",
        "X-Forwarded-Proto": "https"})
    assert other.status_code == 400


def test_configured_origins_come_on_top_of_the_own_origin(make_app):
    make_app(SOCKETIO_ALLOWED_ORIGINS=["https://chat.example.com"])
    allowed = socketio.server.eio.cors_allowed_origins
    environ = {"wsgi.url_scheme": "http", "HTTP_HOST": "localhost:5000"}
    assert allowed("https://chat.example.com", environ)
    assert allowed("http://localhost:5000", environ)
    assert not allowed("https://other.example.com", environ)

