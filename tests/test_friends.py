"""Friends over the JSON API: search, requests, the two-row friendship, and live events."""

import pytest
from sqlalchemy import select

from chatapp.extensions import db
from chatapp.models import FriendRequest, Friendship
from tests.helpers import events


def friendship_rows(app):
    with app.app_context():
        return sorted(tuple(r) for r in db.session.execute(
            select(Friendship.user_id, Friendship.friend_id)).all())


def request_rows(app):
    with app.app_context():
        return sorted(tuple(r) for r in db.session.execute(
            select(FriendRequest.sender_id, FriendRequest.receiver_id)).all())


# --- search --------------------------------------------------------------------------------


def test_search_by_prefix_ignoring_case_never_oneself(app, api, make_user, alice):
    for name in ("Bob", "bobby", "boris", "carol", "BOBCAT"):
        make_user(name)
    make_user("bobdisabled")
    from chatapp.services import accounts
    with app.app_context():
        accounts.set_user_active("bobdisabled", False)
    client = api(alice)
    names = [u["user_name"] for u in client.get("/api/users?q=BOB").get_json()["users"]]
    assert names == ["Bob", "bobby", "BOBCAT"]
    assert client.get("/api/users?q=ali").get_json()["users"] == []  # never yourself
    user = client.get("/api/users?q=carol").get_json()["users"][0]
    assert set(user) == {"user_id", "user_name", "avatar_url"}  # no email, no times


def test_search_pages_with_a_cursor(api, make_user, alice):
    for i in range(7):
        make_user(f"user{i}")
    client = api(alice)
    seen, after = [], None
    while True:
        url = "/api/users?q=user&limit=3" + (f"&after={after}" if after else "")
        page = client.get(url).get_json()
        seen += [u["user_name"] for u in page["users"]]
        after = page["next"]
        if after is None:
            break
    assert seen == [f"user{i}" for i in range(7)]


def test_search_needs_a_query(api, alice):
    response = api(alice).get("/api/users?q=%20")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "empty_query"


def test_search_treats_wildcards_as_text(api, make_user, alice):
    make_user("bob")
    assert api(alice).get("/api/users?q=%25").get_json()["users"] == []
    assert api(alice).get("/api/users?q=_").get_json()["users"] == []


# --- requests and friendship ---------------------------------------------------------------


def test_request_accept_makes_two_rows_and_tells_both(app, api, sio, alice, bob, carol):
    a, b = api(alice), api(bob)
    a_sock, b_sock, c_sock = sio(a), sio(b), sio(api(carol))

    response = a.post("/api/friend-requests",
                      json={"user_id": bob.user_id, "note": "hi, it's alice"})
    assert response.status_code == 201
    request = response.get_json()["request"]
    assert request["note"] == "hi, it's alice" and request["receiver"]["user_name"] == "bob"
    received = events(b_sock, "friend_request_received")
    assert [r["request"]["request_id"] for r in received] == [request["request_id"]]
    sent = events(a_sock, "friend_request_sent")
    assert [r["request"]["request_id"] for r in sent] == [request["request_id"]]

    listed = b.get("/api/friend-requests").get_json()
    assert [r["sender"]["user_name"] for r in listed["incoming"]] == ["alice"]
    assert a.get("/api/friend-requests").get_json()["outgoing"][0]["note"] == "hi, it's alice"

    accepted = b.post(f"/api/friend-requests/{request['request_id']}/accept")
    assert accepted.status_code == 200
    assert accepted.get_json()["friend"]["user_name"] == "alice"
    assert friendship_rows(app) == sorted([(alice.user_id, bob.user_id),
                                          (bob.user_id, alice.user_id)])
    assert request_rows(app) == []
    assert events(a_sock, "friend_request_accepted")[0]["friend"]["user_name"] == "bob"
    assert events(b_sock, "friend_request_accepted")[0]["friend"]["user_name"] == "alice"
    assert events(c_sock) == []  # an outsider hears nothing
    assert [u["user_name"] for u in a.get("/api/friends").get_json()["friends"]] == ["bob"]


def test_both_asked_then_accepting_either_makes_them_friends_once(app, api, alice, bob):
    a, b = api(alice), api(bob)
    first = a.post("/api/friend-requests", json={"user_id": bob.user_id}).get_json()["request"]
    b.post("/api/friend-requests", json={"user_id": alice.user_id})
    assert len(request_rows(app)) == 2
    assert b.post(f"/api/friend-requests/{first['request_id']}/accept").status_code == 200
    assert len(friendship_rows(app)) == 2 and request_rows(app) == []


@pytest.mark.parametrize(
    ("target", "status", "code"),
    [("self", 400, "cannot_befriend_self"), ("friend", 409, "already_friends"),
     ("pending", 409, "request_pending"), ("nobody", 404, "user_not_found"),
     ("disabled", 404, "user_not_found")],
)
def test_request_refusals_change_nothing(app, api, befriend, make_user, alice, bob, carol,
                                         target, status, code):
    befriend(alice, bob)
    a = api(alice)
    a.post("/api/friend-requests", json={"user_id": carol.user_id})
    dave = make_user("dave")
    from chatapp.services import accounts
    with app.app_context():
        accounts.set_user_active("dave", False)
    before = (friendship_rows(app), request_rows(app))
    user_id = {"self": alice.user_id, "friend": bob.user_id, "pending": carol.user_id,
               "nobody": 999_999, "disabled": dave.user_id}[target]
    response = a.post("/api/friend-requests", json={"user_id": user_id})
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == code
    assert (friendship_rows(app), request_rows(app)) == before


@pytest.mark.parametrize(
    "payload",
    [{}, {"user_id": "2"}, {"user_id": 0}, {"user_id": 2, "note": "x" * 401},
     {"user_id": 2, "sender_id": 1}, {"user_id": True}],
)
def test_request_payload_refusals(app, api, alice, bob, payload):
    response = api(alice).post("/api/friend-requests", json=payload)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_payload"
    assert request_rows(app) == []


def test_note_length_is_checked_after_trimming(app, api, alice, bob):
    response = api(alice).post("/api/friend-requests",
                               json={"user_id": bob.user_id, "note": "n" * 201})
    assert response.get_json()["error"]["code"] == "note_too_long"
    ok = api(alice).post("/api/friend-requests",
                         json={"user_id": bob.user_id, "note": "  " + "n" * 200 + "  "})
    assert ok.status_code == 201


def test_decline_and_cancel(app, api, sio, alice, bob):
    a, b = api(alice), api(bob)
    a_sock, b_sock = sio(a), sio(b)
    first = a.post("/api/friend-requests", json={"user_id": bob.user_id}).get_json()["request"]
    assert b.post(f"/api/friend-requests/{first['request_id']}/decline").status_code == 204
    assert request_rows(app) == [] and friendship_rows(app) == []
    assert events(a_sock, "friend_request_declined") == [{"request_id": first["request_id"]}]

    second = a.post("/api/friend-requests", json={"user_id": bob.user_id}).get_json()["request"]
    events(b_sock)
    assert a.delete(f"/api/friend-requests/{second['request_id']}").status_code == 204
    assert request_rows(app) == []
    assert events(b_sock, "friend_request_cancelled") == [{"request_id": second["request_id"]}]


def test_only_the_right_side_may_settle_a_request(app, api, alice, bob, mallory):
    request = api(alice).post("/api/friend-requests",
                              json={"user_id": bob.user_id}).get_json()["request"]
    rid = request["request_id"]
    m, a = api(mallory), api(alice)
    for response in (m.post(f"/api/friend-requests/{rid}/accept"),
                     m.post(f"/api/friend-requests/{rid}/decline"),
                     m.delete(f"/api/friend-requests/{rid}"),
                     a.post(f"/api/friend-requests/{rid}/accept"),  # the sender cannot accept
                     api(bob).delete(f"/api/friend-requests/{rid}")):  # the receiver cannot cancel
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "request_not_found"
    assert len(request_rows(app)) == 1


def test_remove_friend_removes_both_rows_and_tells_both(app, api, sio, befriend, alice, bob):
    befriend(alice, bob)
    a, b = api(alice), api(bob)
    b_sock = sio(b)
    assert a.delete(f"/api/friends/{bob.user_id}").status_code == 204
    assert friendship_rows(app) == []
    assert events(b_sock, "friend_removed") == [{"user_id": alice.user_id}]
    again = a.delete(f"/api/friends/{bob.user_id}")
    assert again.status_code == 404 and again.get_json()["error"]["code"] == "friend_not_found"


# --- profile cards -------------------------------------------------------------------------


def test_profile_card_says_how_two_people_relate(api, sio, befriend, make_user, alice, bob,
                                                 carol):
    befriend(alice, bob)
    dave, erin = make_user("dave"), make_user("erin")
    a = api(alice)
    a.post("/api/friend-requests", json={"user_id": carol.user_id})
    api(dave).post("/api/friend-requests", json={"user_id": alice.user_id})

    def card(user):
        response = a.get(f"/api/users/{user.user_id}")
        assert response.status_code == 200
        return response.get_json()

    relations = {p.user_name: card(p)["relation"] for p in (alice, bob, carol, dave, erin)}
    assert relations == {"alice": "self", "bob": "friend", "carol": "request_sent",
                         "dave": "request_received", "erin": "none"}
    shown = card(erin)  # a stranger: public details and presence only, never the email
    assert set(shown) == {"user_id", "user_name", "avatar_url", "online", "last_seen",
                          "relation"}
    assert (shown["user_name"], shown["online"], shown["last_seen"]) == ("erin", False, None)
    tab = sio(api(bob))
    assert card(bob)["online"] is True
    tab.disconnect()
    gone = card(bob)
    assert gone["online"] is False and gone["last_seen"]


def test_profile_card_needs_a_login_and_an_active_user(app, api, alice, bob, make_user):
    assert api().get(f"/api/users/{bob.user_id}").status_code == 401
    make_user("dave")
    from chatapp.services import accounts
    with app.app_context():
        dave = accounts.set_user_active("dave", False)
        dave_id = dave.user_id
    a = api(alice)
    for user_id in (dave_id, 999_999):
        response = a.get(f"/api/users/{user_id}")
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "user_not_found"
