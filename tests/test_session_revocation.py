"""A socket lives no longer than its session: log-out anywhere, a password change and disabling
the account cut the user's open sockets at once, each told ``session_ended`` first."""

import time

import pytest
from sqlalchemy import select, update

from chatapp.errors import NotAuthenticated
from chatapp.extensions import db, socketio
from chatapp.models import User, UserSocket
from chatapp.realtime import emit, is_local_socket, user_room
from chatapp.services import accounts, connections
from tests.helpers import PASSWORD


def wait_disconnected(sock, timeout=2.0):
    """Wait (bounded) until the server has cut ``sock``."""
    deadline = time.monotonic() + timeout
    while sock.is_connected() and time.monotonic() < deadline:
        time.sleep(0.01)
    return not sock.is_connected()


def session_ended(sock):
    """The ``session_ended`` events a test socket received, connected or not any more."""
    return [e["args"][0] for e in sock.queue if e["name"] == "session_ended"]


def socket_rows(app, user_id, timeout=2.0):
    """The user's socket rows, once they are gone or ``timeout`` passed (the disconnect handler
    forgets a socket just after the disconnect frame went out)."""
    deadline = time.monotonic() + timeout
    while True:
        with app.app_context():
            rows = list(db.session.scalars(select(UserSocket.sid).where(
                UserSocket.user_id == user_id)))
        if not rows or time.monotonic() > deadline:
            return rows
        time.sleep(0.01)


def test_log_out_in_one_tab_cuts_the_sockets_of_every_session(app, api, sio, alice, bob):
    laptop, phone = api(alice), api(alice)
    laptop_tab, phone_tab = sio(laptop), sio(phone)
    bobs = sio(api(bob))
    assert laptop_tab.is_connected() and phone_tab.is_connected()

    assert laptop.post("/api/auth/logout").status_code == 204

    for tab in (laptop_tab, phone_tab):
        assert wait_disconnected(tab)
        assert session_ended(tab) == [{"error": NotAuthenticated().to_dict()}]
    assert bobs.is_connected() and session_ended(bobs) == []
    assert socket_rows(app, alice.user_id) == []


def test_a_password_change_cuts_the_other_devices_and_this_one_reconnects(app, api, sio, alice):
    laptop, phone = api(alice), api(alice)
    laptop_tab, phone_tab = sio(laptop), sio(phone)

    changed = laptop.post("/api/me/password", json={
        "current_password": PASSWORD, "new_password": "a brand new passphrase"})
    assert changed.status_code == 200

    assert wait_disconnected(phone_tab) and session_ended(phone_tab)
    # The changing tab's socket held the old session too; its refreshed cookie connects again.
    assert wait_disconnected(laptop_tab) and session_ended(laptop_tab)
    again = sio(laptop)
    assert again.is_connected()
    assert not sio(phone).is_connected()


def test_disabling_the_account_cuts_its_sockets(app, api, sio, alice, bob):
    alice_tab, bobs = sio(api(alice)), sio(api(bob))
    result = app.test_cli_runner().invoke(args=["users", "disable", "alice"])
    assert result.exit_code == 0, result.output
    assert wait_disconnected(alice_tab) and session_ended(alice_tab)
    assert bobs.is_connected()


def test_a_cut_socket_receives_no_more_chat_events(app, api, sio, alice):
    tab = sio(api(alice))
    sid = tab.eio_sid and socket_rows(app, alice.user_id, timeout=0)[0]
    with app.app_context():
        accounts.end_sessions(db.session.get(User, alice.user_id))
    assert wait_disconnected(tab)
    # The server takes the socket out of its rooms just after sending the disconnect frame
    # (a test client would still record what reaches its sid meanwhile).
    deadline = time.monotonic() + 2
    while in_room(sid, user_room(alice.user_id)) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not is_local_socket(sid)
    with app.app_context():
        emit("ping_test", {"n": 1}, user_room(alice.user_id))
    assert [e for e in tab.queue if e["name"] == "ping_test"] == []


def in_room(sid, room):
    """Whether the server still has ``sid`` in ``room``."""
    return any(member == sid for member, _ in socketio.server.manager.get_participants("/", room))


def end_session_behind_the_servers_back(app, user_id):
    """What ``flask users disable`` in another process does: the database changes, and no
    message reaches this process's sockets."""
    with app.app_context():
        db.session.execute(update(User).where(User.user_id == user_id)
                           .values(session_version=User.session_version + 1))
        db.session.commit()


def test_the_sweep_cuts_sockets_whose_session_ended_elsewhere(app, api, sio, alice, bob):
    alice_tab, bobs = sio(api(alice)), sio(api(bob))
    end_session_behind_the_servers_back(app, alice.user_id)
    assert alice_tab.is_connected()  # nobody told this process yet

    with app.app_context():
        assert connections.sweep_revoked_sockets() == 1
    assert wait_disconnected(alice_tab) and session_ended(alice_tab)
    assert bobs.is_connected()
    with app.app_context():
        assert connections.sweep_revoked_sockets() == 0


def test_an_event_from_an_ended_session_gets_its_refusal_before_the_disconnect(app, api, sio,
                                                                               alice):
    tab = sio(api(alice))
    end_session_behind_the_servers_back(app, alice.user_id)

    ack = tab.emit("typing", {"chat_id": 1}, callback=True)

    assert ack == {"ok": False, "error": NotAuthenticated().to_dict()}
    assert wait_disconnected(tab)
    assert session_ended(tab)


def test_a_socket_connecting_as_its_session_ends_is_refused(app, alice):
    with app.app_context():
        # The user as the connecting socket's session loaded them, just before the log-out.
        user = db.session.get(User, alice.user_id)
        db.session.expunge(user)
        end_session_behind_the_servers_back(app, alice.user_id)
        with pytest.raises(NotAuthenticated):
            connections.connect_socket(user, "sid-of-a-late-socket")
    assert socket_rows(app, alice.user_id) == []
