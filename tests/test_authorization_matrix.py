"""Who may do what in a group: every route and event of friends/chats, for every role.

Roles: owner, admin, member, former member (was in the group, left), non-member, anonymous.
A former member and a non-member learn nothing: "not found", exactly as for a missing chat.
The site admin pages (/admin): a site admin, a user who is not one, anonymous.
"""

import pytest

from chatapp.extensions import db
from chatapp.models import User
from tests.helpers import ApiClient, events
from tests.url_rules import fill, placeholders, routes

ROLES = ["owner", "admin", "member", "former", "outsider", "anonymous"]


@pytest.fixture
def team_with_roles(app, api, befriend, make_user):
    """alice owns, bob is admin, carol and erin are members, frank left, mallory never joined;
    dave is everyone's friend and in no group (the one to add)."""
    people = {name: make_user(name) for name in
              ("alice", "bob", "carol", "erin", "frank", "mallory", "dave")}
    for name in ("bob", "carol", "erin", "frank"):
        befriend(people["alice"], people[name])
    for name in ("alice", "bob", "carol", "frank", "mallory"):
        befriend(people[name], people["dave"])
    owner = api(people["alice"])
    chat_id = owner.post("/api/chats", json={
        "chat_name": "Team",
        "member_ids": [people[n].user_id for n in ("bob", "carol", "erin", "frank")],
    }).get_json()["chat"]["chat_id"]
    owner.put(f"/api/chats/{chat_id}/members/{people['bob'].user_id}/role",
              json={"privilege": "admin"})
    assert api(people["frank"]).post(f"/api/chats/{chat_id}/leave").status_code == 204
    return chat_id, people


def client_for(role, people, api, app):
    person = {"owner": "alice", "admin": "bob", "member": "carol", "former": "frank",
              "outsider": "mallory"}.get(role)
    return api(people[person]) if person else ApiClient(app.test_client())


ROUTES = {
    # name: (method, path, body, expected status per role)
    "details": ("GET", "/api/chats/{chat}", None,
                {"owner": 200, "admin": 200, "member": 200}),
    "rename": ("PATCH", "/api/chats/{chat}", {"chat_name": "New"},
               {"owner": 200, "admin": 200, "member": 403}),
    "add_member": ("POST", "/api/chats/{chat}/members", {"user_ids": ["dave"]},
                   {"owner": 200, "admin": 200, "member": 403}),
    "remove_member": ("DELETE", "/api/chats/{chat}/members/{erin}", None,
                      {"owner": 204, "admin": 204, "member": 403}),
    "remove_admin": ("DELETE", "/api/chats/{chat}/members/{bob}", None,
                     {"owner": 204, "admin": 400, "member": 403}),
    "promote": ("PUT", "/api/chats/{chat}/members/{erin}/role", {"privilege": "admin"},
                {"owner": 200, "admin": 403, "member": 403}),
    "transfer": ("POST", "/api/chats/{chat}/owner", {"user_id": "erin"},
                 {"owner": 200, "admin": 403, "member": 403}),
    "leave": ("POST", "/api/chats/{chat}/leave", None,
              {"owner": 409, "admin": 204, "member": 204}),
    "dissolve": ("DELETE", "/api/chats/{chat}", None,
                 {"owner": 204, "admin": 403, "member": 403}),
}
# Everyone outside the group gets the same answer on every route.
OUTSIDE = {"former": 404, "outsider": 404, "anonymous": 401}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", list(ROUTES))
def test_route_by_role(app, api, team_with_roles, route, role):
    chat_id, people = team_with_roles
    method, path, body, inside = ROUTES[route]
    expected = {**inside, **OUTSIDE}[role]
    ids = {name: person.user_id for name, person in people.items()}
    url = path.format(chat=chat_id, **ids)
    if body:
        body = {k: ([ids[x] for x in v] if isinstance(v, list) else ids.get(v, v))
                for k, v in body.items()}
    client = client_for(role, people, api, app)
    before = client_for("owner", people, api, app).get(f"/api/chats/{chat_id}").get_json()

    response = client._send(method, url, json=body) if body else client._send(method, url)
    assert response.status_code == expected, response.get_json()
    if expected >= 400:
        code = response.get_json()["error"]["code"]
        # bob is the admin: "remove_admin" as admin is bob removing himself.
        assert code == {401: "not_authenticated", 403: "insufficient_role",
                        404: "chat_not_found", 409: "owner_must_transfer",
                        400: "cannot_remove_self"}[expected]
        after = client_for("owner", people, api, app).get(f"/api/chats/{chat_id}").get_json()
        assert after == before  # a refusal changes nothing


# What members do with a message (issue 17): alice's (the owner's) message in the group.
MESSAGE_ROUTES = {
    # name: (method, path, body, (status, error code) per role inside)
    "history": ("GET", "/api/chats/{chat}/messages?around={msg}", None, {}),
    "changes": ("GET", "/api/chats/{chat}/changes?after=0", None, {}),
    "versions": ("GET", "/api/chats/{chat}/messages/{msg}/versions", None, {}),
    "react": ("PUT", "/api/chats/{chat}/messages/{msg}/reactions/👍", None, {}),
    "unreact": ("DELETE", "/api/chats/{chat}/messages/{msg}/reactions/👍", None, {}),
    "reply": ("POST", "/api/chats/{chat}/messages",
              {"text": "yes", "client_msg_id": "reply-1", "reply_to": "{msg}"}, {}),
    "edit": ("PATCH", "/api/chats/{chat}/messages/{msg}", {"text": "changed"},
             {"admin": (403, "not_your_message"), "member": (403, "not_your_message")}),
    "recall": ("POST", "/api/chats/{chat}/messages/{msg}/recall", None,
               {"member": (403, "not_your_message")}),
    "pin": ("PUT", "/api/chats/{chat}/messages/{msg}/pin", None,
            {"member": (403, "insufficient_role")}),
    "unpin": ("DELETE", "/api/chats/{chat}/messages/{msg}/pin", None,
              {"member": (403, "insufficient_role")}),
    "pins": ("GET", "/api/chats/{chat}/pins", None, {}),
    "notify": ("PUT", "/api/chats/{chat}/notify", {"notify": "none"}, {}),
    "forward": ("POST", "/api/chats/{chat}/messages/{msg}/forward",
                {"to_chat_id": "{chat}", "client_msg_id": "fwd-1"}, {}),
}
OUTSIDE_CODES = {"former": (404, "chat_not_found"), "outsider": (404, "chat_not_found"),
                 "anonymous": (401, "not_authenticated")}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", list(MESSAGE_ROUTES))
def test_message_route_by_role(app, api, team_with_roles, route, role):
    chat_id, people = team_with_roles
    method, path, body, inside = MESSAGE_ROUTES[route]
    owner = client_for("owner", people, api, app)
    msg_id = owner.post(f"/api/chats/{chat_id}/messages", json={
        "text": "who is on call?", "client_msg_id": "q-1"}).get_json()["message"]["msg_id"]
    url = path.format(chat=chat_id, msg=msg_id)
    if body:
        body = {k: {"{msg}": msg_id, "{chat}": chat_id}.get(v, v) for k, v in body.items()}
    client = client_for(role, people, api, app)
    before = owner.get(f"/api/chats/{chat_id}/messages").get_json()

    response = client._send(method, url, json=body) if body else client._send(method, url)
    status, code = {**inside, **OUTSIDE_CODES}.get(role, (None, None))
    if status is None:
        assert response.status_code in (200, 201), response.get_json()
        return
    assert response.status_code == status and response.get_json()["error"]["code"] == code
    assert owner.get(f"/api/chats/{chat_id}/messages").get_json() == before  # nothing changed


def test_message_events_reach_members_only(app, api, sio, team_with_roles):
    """Edits and reactions are told to current members' sockets and nobody else's; the
    socket events refuse an outsider as if the chat did not exist."""
    chat_id, people = team_with_roles
    socks = {name: sio(api(people[name])) for name in ("alice", "bob", "frank", "mallory")}
    for sock in socks.values():
        events(sock)
    sent = socks["alice"].emit("send_message", {"chat_id": chat_id, "text": "draft",
                                                "client_msg_id": "ev-1"}, callback=True)
    msg_id = sent["message"]["msg_id"]
    assert socks["alice"].emit("edit_message", {"chat_id": chat_id, "msg_id": msg_id,
                                                "text": "final"}, callback=True)["ok"]
    assert socks["bob"].emit("react", {"chat_id": chat_id, "msg_id": msg_id, "emoji": "✅"},
                             callback=True)["ok"]
    for outsider in ("frank", "mallory"):
        for event, payload in (("edit_message", {"text": "mine"}), ("react", {"emoji": "✅"})):
            ack = socks[outsider].emit(event, {"chat_id": chat_id, "msg_id": msg_id, **payload},
                                       callback=True)
            assert ack["error"]["code"] == "chat_not_found", (outsider, event)
    received = {name: [n for n, _ in events(sock)] for name, sock in socks.items()}
    for member in ("alice", "bob"):
        assert {"message_edited", "message_reactions"} <= set(received[member]), member
    for outsider in ("frank", "mallory"):
        assert received[outsider] == [], outsider


def test_admin_removing_an_admin_is_refused_as_forbidden(app, api, team_with_roles):
    chat_id, people = team_with_roles
    api(people["alice"]).put(f"/api/chats/{chat_id}/members/{people['carol'].user_id}/role",
                             json={"privilege": "admin"})
    response = api(people["bob"]).delete(f"/api/chats/{chat_id}/members/{people['carol'].user_id}")
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "insufficient_role"


@pytest.mark.parametrize("role", ["former", "outsider"])
def test_hidden_chat_looks_exactly_like_a_missing_one(app, api, team_with_roles, role):
    chat_id, people = team_with_roles
    client = client_for(role, people, api, app)
    for method, path in (("GET", "/api/chats/{}"), ("PATCH", "/api/chats/{}"),
                         ("POST", "/api/chats/{}/leave"), ("DELETE", "/api/chats/{}")):
        kwargs = {"json": {"chat_name": "x"}} if method == "PATCH" else {}
        hidden = client._send(method, path.format(chat_id), **kwargs)
        missing = client._send(method, path.format(chat_id + 1000), **kwargs)
        assert (hidden.status_code, hidden.get_json()) == (missing.status_code, missing.get_json())
    page_hidden = client.client.get(f"/chats/{chat_id}")
    page_missing = client.client.get(f"/chats/{chat_id + 1000}")
    assert page_hidden.status_code == page_missing.status_code == 404


@pytest.mark.parametrize(("role", "status"), [("owner", 200), ("admin", 200), ("member", 200),
                                              ("former", 404), ("outsider", 404),
                                              ("anonymous", 302)])
def test_chat_page_by_role(app, api, team_with_roles, role, status):
    chat_id, people = team_with_roles
    assert client_for(role, people, api, app).client.get(f"/chats/{chat_id}").status_code == status


def test_chat_list_shows_only_ones_own_chats(app, api, team_with_roles):
    chat_id, people = team_with_roles
    for name, sees in (("alice", True), ("carol", True), ("frank", False), ("mallory", False)):
        listed = [c["chat_id"] for c in api(people[name]).get("/api/chats").get_json()["chats"]]
        assert (chat_id in listed) is sees


def test_events_reach_members_only(app, api, sio, team_with_roles):
    """Every change event of the group reaches current members' sockets and nobody else's."""
    chat_id, people = team_with_roles
    socks = {name: sio(api(people[name])) for name in ("alice", "bob", "carol", "frank",
                                                       "mallory", "dave")}
    anonymous = sio(ApiClient(app.test_client()))
    assert not anonymous.is_connected()
    for sock in socks.values():
        events(sock)  # presence of friends coming online is not what this test is about
    owner = api(people["alice"])
    ids = {name: person.user_id for name, person in people.items()}

    owner.patch(f"/api/chats/{chat_id}", json={"chat_name": "Renamed"})
    owner.put(f"/api/chats/{chat_id}/members/{ids['carol']}/role", json={"privilege": "admin"})
    owner.delete(f"/api/chats/{chat_id}/members/{ids['erin']}")
    received = {name: [n for n, _ in events(sock)] for name, sock in socks.items()}
    for member in ("alice", "bob", "carol"):
        assert {"chat_renamed", "role_changed", "member_removed", "message_created"} <= set(
            received[member]), member
    for outsider in ("frank", "mallory", "dave"):
        assert received[outsider] == [], outsider

    owner.delete(f"/api/chats/{chat_id}")
    for member in ("alice", "bob", "carol"):
        assert events(socks[member], "chat_dissolved") == [{"chat_id": chat_id}]
    for outsider in ("frank", "mallory", "dave"):
        assert events(socks[outsider]) == []


def test_friend_routes_anonymous(app):
    client = ApiClient(app.test_client())
    for method, path in (("GET", "/api/users?q=a"), ("GET", "/api/friends"),
                         ("DELETE", "/api/friends/1"), ("GET", "/api/friend-requests"),
                         ("POST", "/api/friend-requests"),
                         ("POST", "/api/friend-requests/1/accept"),
                         ("POST", "/api/friend-requests/1/decline"),
                         ("DELETE", "/api/friend-requests/1"), ("GET", "/api/chats"),
                         ("POST", "/api/chats"), ("POST", "/api/chats/private")):
        response = client._send(method, path, json={}) if method == "POST" else \
            client._send(method, path)
        assert response.status_code == 401, path
        assert response.get_json()["error"]["code"] == "not_authenticated"


# --- site administration: /admin is for site admins only --------------------------------


def test_admin_pages_exist_only_for_site_admins(app, api, alice, bob):
    admin_routes = routes(app, "/admin")
    assert len(admin_routes) >= 7
    admin, member, anonymous = api(alice), api(bob), ApiClient(app.test_client())
    values = {"user_id": bob.user_id}
    for rule, method in admin_routes:
        url = fill(rule, values)
        data = {"csrf_token": member.token(), "confirm_name": "bob"}
        refused = member.client.open(url, method=method, data=data)
        assert refused.status_code == 404, (url, method)
        gone = anonymous.client.open(url, method=method, data={"csrf_token": anonymous.token()})
        assert gone.status_code in (302, 401), (url, method)
        if method == "GET":
            assert admin.client.get(url).status_code == 200, url
    assert [p for rule, _ in admin_routes for p in placeholders(rule)] <= [("id", "user_id")] * 20
    with app.app_context():  # nothing happened to bob
        user = db.session.get(User, bob.user_id)
        assert user.is_active and user.deleted_at is None
