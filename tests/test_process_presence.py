"""Presence that survives crashes: serving processes beat a heartbeat; the sockets of one that
went silent are reaped and their users go offline; a clean stop forgets its own at once."""

from sqlalchemy import select, update

from chatapp.extensions import db
from chatapp.models import ServerProcess, UserSocket, now
from chatapp.services import connections
from tests.helpers import events


def process_row(app, process_id, age=0.0):
    with app.app_context():
        db.session.add(ServerProcess(process_id=process_id, host="elsewhere", pid=1,
                                     started_at=now() - age, heartbeat_at=now() - age))
        db.session.commit()


def socket_on(app, user, process_id, sid):
    with app.app_context():
        db.session.add(UserSocket(sid=sid, user_id=user.user_id, connected_at=now(),
                                  session_version=1, process_id=process_id))
        db.session.commit()


def sockets_of(app, user):
    with app.app_context():
        return sorted(db.session.scalars(select(UserSocket.sid).where(
            UserSocket.user_id == user.user_id)))


def offline_events(sock, user):
    return [e for e in events(sock, "presence_changed")
            if e["user_id"] == user.user_id and e["online"] is False]


def test_a_dead_processes_sockets_are_reaped_and_its_users_go_offline(app, api, sio, befriend,
                                                                      alice, bob):
    befriend(alice, bob)
    bob_sock = sio(api(bob))
    process_row(app, "dead", age=60)
    process_row(app, "alive", age=1)
    socket_on(app, alice, "dead", "alice-on-dead")
    events(bob_sock)
    with app.app_context():
        assert connections.presence([alice.user_id])[alice.user_id]["online"] is True
        assert connections.reap_dead_processes(timeout=30) == 1
        assert connections.presence([alice.user_id])[alice.user_id] == {
            "online": False, "last_seen": connections.presence([alice.user_id])[
                alice.user_id]["last_seen"]}
        assert db.session.get(ServerProcess, "dead") is None
        assert db.session.get(ServerProcess, "alive") is not None
    assert sockets_of(app, alice) == []
    [gone] = offline_events(bob_sock, alice)
    assert gone["last_seen"] is not None


def test_a_live_process_keeps_its_sockets_and_one_live_socket_keeps_a_user_online(
        app, api, sio, befriend, alice, bob):
    befriend(alice, bob)
    bob_sock = sio(api(bob))
    process_row(app, "dead", age=60)
    process_row(app, "alive", age=1)
    socket_on(app, alice, "dead", "alice-tab-1")
    socket_on(app, alice, "alive", "alice-tab-2")
    events(bob_sock)
    with app.app_context():
        assert connections.reap_dead_processes(timeout=30) == 1
        assert connections.presence([alice.user_id])[alice.user_id]["online"] is True
    assert sockets_of(app, alice) == ["alice-tab-2"]
    assert offline_events(bob_sock, alice) == []  # still online through the other tab


def test_a_clean_stop_forgets_this_processes_sockets_at_once(app, api, sio, befriend, alice,
                                                             bob, monkeypatch):
    befriend(alice, bob)
    monkeypatch.setattr(connections, "_process_id", None)  # restored after the test
    with app.app_context():
        me = connections.register_process()
    alice_sock = sio(api(alice))
    assert alice_sock.is_connected()
    bob_sock = sio(api(bob))  # also on this process
    process_row(app, "other", age=0)
    socket_on(app, bob, "other", "bob-elsewhere")
    events(bob_sock)
    with app.app_context():
        rows = db.session.scalars(select(UserSocket).where(UserSocket.user_id == alice.user_id))
        assert {row.process_id for row in rows} == {me}
        connections.leave_process()
        assert db.session.get(ServerProcess, me) is None
        assert connections.presence([alice.user_id])[alice.user_id]["online"] is False
        assert connections.presence([bob.user_id])[bob.user_id]["online"] is True
    assert sockets_of(app, bob) == ["bob-elsewhere"]
    assert len(offline_events(bob_sock, alice)) == 1


def test_a_process_taken_for_dead_registers_again_at_its_next_beat(app, monkeypatch):
    monkeypatch.setattr(connections, "_process_id", None)  # restored after the test
    with app.app_context():
        me = connections.register_process()
        db.session.execute(update(ServerProcess).values(heartbeat_at=now() - 100))
        db.session.commit()
        assert connections.reap_dead_processes(timeout=30) == 1
        connections.heartbeat()
        assert db.session.get(ServerProcess, me) is not None
        connections.heartbeat()
        assert db.session.get(ServerProcess, me).heartbeat_at > now() - 5



def test_memory_is_given_back_after_sockets_close(app, api, sio, alice, monkeypatch):
    """The trim (glibc's malloc_trim, for real) runs only when sockets closed since the last."""
    real = connections._malloc_trim()
    assert real is not None  # glibc: Debian, the supported platform
    trims = []

    def counting(pad):
        trims.append(pad)
        return real(pad)

    monkeypatch.setattr(connections, "_closed_since_trim", 0)
    assert connections.give_memory_back(counting) is False and trims == []
    sio(api(alice)).disconnect()
    assert connections.give_memory_back(counting) is True and trims == [0]
    assert connections.give_memory_back(counting) is False and trims == [0]
