"""Friend and chat pages: forms with CSRF, one service call each, flashes, errors, 404s."""

import io
import json
import re

import pytest
from sqlalchemy import select

from chatapp.extensions import db
from chatapp.models import Chat, FriendRequest, Friendship, Membership, User
from chatapp.services.chats import unread_counts
from tests.helpers import csrf_from, image_bytes, roles

NOTE = "Hi Bob, it's Alice & co"


class Visitor:
    """A test client that uses the pages the way a browser does: GET, then POST with the token."""

    def __init__(self, app, person=None):
        self.client = app.test_client()
        self._token, self._token_page = None, "/login"
        if person:
            response = self.post("/login", {"user_name": person.user_name,
                                            "password": person.password})
            assert response.status_code == 302, response.get_data(as_text=True)
            self._token, self._token_page = None, "/chats"  # a new session, a new token

    def token(self) -> str:
        if self._token is None:
            self._token = csrf_from(self.client.get(self._token_page).get_data(as_text=True))
        return self._token

    def get(self, url, **kwargs):
        return self.client.get(url, **kwargs)

    def page(self, url) -> str:
        response = self.client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response.get_data(as_text=True)

    def post(self, url, data=None, **kwargs):
        return self.client.post(url, data={"csrf_token": self.token(), **(data or {})}, **kwargs)


@pytest.fixture
def visitor(app):
    return lambda person=None: Visitor(app, person)


def text_of(response) -> str:
    return response.get_data(as_text=True)


def timeline_of(page: str) -> list[dict]:
    """The messages a chat page carries for its script to draw (#chat-page): the server never
    draws a message itself (static/js/chat/view.js is the one renderer)."""
    block = re.search(r'<script type="application/json" id="chat-page">(.*?)</script>', page, re.S)
    assert "<" not in block.group(1)  # tojson escapes markup inside the block
    return json.loads(block.group(1))["messages"]


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(db.func.count()).select_from(model).where(*where))


# --- who may see the pages -----------------------------------------------------------------


@pytest.mark.parametrize("path", ["/friends", "/chats", "/chats/1", "/chats/1/settings"])
def test_pages_need_login(visitor, path):
    response = visitor().get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_outsiders_get_404_for_a_chat_and_its_settings(visitor, group, mallory):
    eve = visitor(mallory)
    for path in (f"/chats/{group}", f"/chats/{group}/settings", "/chats/999/settings"):
        response = eve.get(path)
        assert response.status_code == 404
        assert "Chat not found." in text_of(response) and "Team" not in text_of(response)


def test_outsiders_cannot_act_on_a_group(app, visitor, group, mallory, bob):
    eve = visitor(mallory)
    assert eve.post(f"/chats/{group}/rename", {"chat_name": "Mine"}).status_code == 404
    assert eve.post(f"/chats/{group}/members/{bob.user_id}/remove").status_code == 404
    assert eve.post(f"/chats/{group}/dissolve", {"confirm": "y"}).status_code == 404
    assert count(app, Membership, Membership.chat_id == group) == 3
    with app.app_context():
        assert db.session.get(Chat, group).chat_name == "Team"


def test_forms_need_the_csrf_token(app, visitor, alice, bob):
    client = visitor(alice).client
    response = client.post("/friends/requests", data={"user_id": bob.user_id})
    assert response.status_code == 400 and "csrf_failed" in text_of(response)
    assert count(app, FriendRequest) == 0


# --- friends -------------------------------------------------------------------------------


def test_friends_page_starts_empty(visitor, alice):
    page = visitor(alice).page("/friends")
    assert "No pending requests." in page and "No friends yet." in page
    assert 'data-live="friend_request_received' in page  # refresh.js refreshes on these
    assert '<script type="module" src="/static/js/page.js">' in page
    assert "/static/vendor/socket.io.min.js" in page


def test_search_lists_people_with_an_add_form_and_pages_on(visitor, make_user, alice):
    for i in range(22):
        make_user(f"user{i:02d}")
    me = visitor(alice)
    page = me.page("/friends?q=USER")
    assert page.count('action="/friends/requests"') == 20
    assert 'for="note-' in page  # every note box has its label
    next_link = re.search(r'href="(/friends\?q=USER&amp;after=[^"]+)"', page).group(1)
    rest = me.page(next_link.replace("&amp;", "&"))
    assert f'data-url="{next_link}"' in rest  # live updates refresh this page, not the first
    assert "user20" in rest and "user21" in rest and "user00" not in rest
    assert "Next page" not in rest
    assert "starts with “zed”" in me.page("/friends?q=zed")
    assert "alice" not in me.page("/friends?q=ali").split("<main")[1].split("Friend requests")[0]


def test_send_request_with_a_note_then_both_sides_see_it(app, visitor, alice, bob):
    a = visitor(alice)
    response = a.post("/friends/requests", {"user_id": bob.user_id, "note": NOTE, "q": "bo"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/friends?q=bo"
    with app.app_context():
        request = db.session.scalar(select(FriendRequest))
        assert (request.sender_id, request.receiver_id, request.note) == (
            alice.user_id, bob.user_id, NOTE)
    page = a.page("/friends?q=bo")
    assert "Friend request sent to bob." in page and "Request sent" in page
    assert 'data-testid="outgoing-bob"' in page
    bob_page = visitor(bob).page("/friends")
    assert 'data-testid="incoming-alice"' in bob_page
    assert "Hi Bob, it&#39;s Alice &amp; co" in bob_page  # escaped


def test_request_errors_are_shown_and_change_nothing(app, visitor, alice, bob):
    a = visitor(alice)
    response = a.post("/friends/requests", {"user_id": bob.user_id, "note": "x" * 201, "q": "bob"})
    assert response.status_code == 400
    assert "Field cannot be longer than 200 characters." in text_of(response)
    assert f'id="note-{bob.user_id}"' in text_of(response)  # the search is shown again
    assert count(app, FriendRequest) == 0

    a.post("/friends/requests", {"user_id": bob.user_id})
    again = a.post("/friends/requests", {"user_id": bob.user_id, "q": "bob"})
    assert again.status_code == 409
    assert "You already asked; the request is pending." in text_of(again)
    assert count(app, FriendRequest) == 1

    nobody = a.post("/friends/requests", {"user_id": 999})
    assert nobody.status_code == 404 and "User not found." in text_of(nobody)


def test_accept_makes_friends_and_decline_and_cancel_drop_requests(app, visitor, alice, bob,
                                                                   carol, mallory):
    a, b, c = visitor(alice), visitor(bob), visitor(carol)
    a.post("/friends/requests", {"user_id": bob.user_id})
    a.post("/friends/requests", {"user_id": carol.user_id})
    visitor(mallory).post("/friends/requests", {"user_id": alice.user_id})
    with app.app_context():
        ids = {r.receiver_id if r.sender_id == alice.user_id else r.sender_id: r.id
               for r in db.session.scalars(select(FriendRequest))}

    response = b.post(f"/friends/requests/{ids[bob.user_id]}/accept", follow_redirects=True)
    assert "You and alice are friends now." in text_of(response)
    assert count(app, Friendship) == 2
    assert 'data-testid="friend-bob"' in a.page("/friends")

    response = a.post(f"/friends/requests/{ids[carol.user_id]}/cancel", follow_redirects=True)
    assert "Request cancelled." in text_of(response)
    assert "No pending requests." in c.page("/friends")

    response = a.post(f"/friends/requests/{ids[mallory.user_id]}/decline", follow_redirects=True)
    assert "Request declined." in text_of(response)
    assert count(app, FriendRequest) == 0

    # Someone else's request, or one already answered: an error, nothing changes.
    response = c.post(f"/friends/requests/{ids[bob.user_id]}/accept", follow_redirects=True)
    assert "No such friend request." in text_of(response)
    assert count(app, Friendship) == 2


def test_remove_friend(app, visitor, befriend, alice, bob):
    befriend(alice, bob)
    response = visitor(alice).post(f"/friends/{bob.user_id}/remove", follow_redirects=True)
    assert "Removed from your friends." in text_of(response)
    assert count(app, Friendship) == 0
    response = visitor(alice).post(f"/friends/{bob.user_id}/remove", follow_redirects=True)
    assert "That person is not your friend." in text_of(response)


def test_message_opens_the_one_private_chat(app, visitor, befriend, alice, bob, carol):
    befriend(alice, bob)
    a = visitor(alice)
    first = a.post(f"/friends/{bob.user_id}/message")
    again = visitor(bob).post(f"/friends/{alice.user_id}/message")
    assert first.status_code == again.status_code == 302
    assert first.headers["Location"] == again.headers["Location"]
    assert count(app, Chat, Chat.is_private.is_(True)) == 1
    page = a.page(first.headers["Location"])
    assert 'data-testid="chat-name">bob<' in page and "Private chat" in page
    assert "/settings" not in page  # private chats have no settings
    chat_id = int(first.headers["Location"].rsplit("/", 1)[1])
    assert a.get(f"/chats/{chat_id}/settings").status_code == 404

    response = a.post(f"/friends/{carol.user_id}/message", follow_redirects=True)
    assert "You can only start a chat with a friend." in text_of(response)
    assert count(app, Chat) == 1


# --- the chat list and new groups ----------------------------------------------------------


def test_home_and_chat_list_show_the_chats(visitor, group, alice):
    a = visitor(alice)
    home = a.page("/")
    assert "Hello, alice" in home and "Your chats" in home and "Team" in home
    page = a.page("/chats")
    assert f'href="/chats/{group}"' in page and "alice added carol" in page  # last message
    assert 'name="member_ids"' in page  # her friends, to start another group


def test_create_group_with_friends(app, visitor, befriend, alice, bob, carol):
    befriend(alice, bob)
    response = visitor(alice).post("/chats", {"chat_name": "  Book   club ",
                                              "member_ids": [str(bob.user_id)]})
    assert response.status_code == 302
    chat_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert roles(app, chat_id) == {alice.user_id: "owner", bob.user_id: "member"}
    with app.app_context():
        assert db.session.get(Chat, chat_id).chat_name == "Book club"
    page = visitor(bob).page(f"/chats/{chat_id}")
    notices = [(m["notice"]["kind"], m["text"]) for m in timeline_of(page)]
    assert notices[:2] == [("group_created", "alice created the group “Book club”"),
                           ("member_added", "alice added bob")]
    assert f'data-chat-id="{chat_id}"' in page and f"/chats/{chat_id}/settings" in page


def test_create_group_errors(app, visitor, befriend, alice, bob, carol):
    befriend(alice, bob)
    a = visitor(alice)
    response = a.post("/chats", {"chat_name": "   ", "member_ids": [str(bob.user_id)]})
    assert response.status_code == 400
    page = text_of(response)
    assert "Give the group a name." in page
    assert re.search(rf'id="member_ids-{bob.user_id}"\s+checked', page)  # choice kept
    response = a.post("/chats", {"chat_name": "Team", "member_ids": [str(carol.user_id)]})
    assert response.status_code == 403 and "carol is not your friend." in text_of(response)
    assert count(app, Chat) == 0


def test_group_names_are_escaped(visitor, alice):
    a = visitor(alice)
    response = a.post("/chats", {"chat_name": "<b>bold</b>"}, follow_redirects=True)
    page = text_of(response)
    assert "<b>bold</b>" not in page and "&lt;b&gt;bold&lt;/b&gt;" in page


# --- group settings ------------------------------------------------------------------------


def test_settings_offer_what_each_role_allows(visitor, group, alice, bob, carol, app):
    owner = visitor(alice).page(f"/chats/{group}/settings")
    for action in ("Make admin", "Make owner", "Remove", "Rename", "Dissolve group",
                   "make another member the owner"):
        assert action in owner
    assert "Leave group" not in owner

    visitor(alice).post(f"/chats/{group}/members/{bob.user_id}/role", {"privilege": "admin"})
    admin = visitor(bob).page(f"/chats/{group}/settings")
    assert "Rename" in admin and "Leave group" in admin and "Dissolve group" not in admin
    assert "Make admin" not in admin and "Make owner" not in admin
    assert admin.count(">Remove<") == 1  # carol, not the owner

    member = visitor(carol).page(f"/chats/{group}/settings")
    for action in ("Make admin", ">Remove<", "Rename", "Add to group", "Dissolve group"):
        assert action not in member
    assert "Leave group" in member


def test_rename_and_add_members(app, visitor, befriend, group, alice, mallory):
    a = visitor(alice)
    response = a.post(f"/chats/{group}/rename", {"chat_name": "Dream team"},
                      follow_redirects=True)
    assert "Renamed to “Dream team”." in text_of(response)
    with app.app_context():
        assert db.session.get(Chat, group).chat_name == "Dream team"
    response = a.post(f"/chats/{group}/rename", {"chat_name": ""})
    assert response.status_code == 400 and "Give the group a name." in text_of(response)
    # From the chat page's side panel: the chat page again, the panel open with the error.
    response = a.post(f"/chats/{group}/rename", {"chat_name": "", "back": "chat"})
    page = text_of(response)
    assert response.status_code == 400 and "Give the group a name." in page
    assert 'data-testid="chat-name">Dream team<' in page and 'id="chat-page"' in page
    panel = re.search(r'<aside class="group-panel[^>]*>', page).group(0)
    assert " hidden" not in panel
    assert " hidden" in re.search(r'<aside class="group-panel[^>]*>', a.page(f"/chats/{group}")
                                  ).group(0)

    befriend(alice, mallory)
    assert f'id="member_ids-{mallory.user_id}"' in a.page(f"/chats/{group}/settings")
    response = a.post(f"/chats/{group}/members", {})
    assert response.status_code == 400 and "Choose someone to add." in text_of(response)
    response = a.post(f"/chats/{group}/members", {"member_ids": [str(mallory.user_id)]},
                      follow_redirects=True)
    assert "Added mallory." in text_of(response)
    assert roles(app, group)[mallory.user_id] == "member"
    assert "Every one of your friends is already here." in a.page(f"/chats/{group}/settings")


def test_roles_transfer_and_removal(app, visitor, group, alice, bob, carol):
    a, b = visitor(alice), visitor(bob)
    response = a.post(f"/chats/{group}/members/{bob.user_id}/role", {"privilege": "admin"},
                      follow_redirects=True)
    assert "bob is an admin now." in text_of(response)
    assert roles(app, group)[bob.user_id] == "admin"
    response = a.post(f"/chats/{group}/members/{bob.user_id}/role", {"privilege": "admin"},
                      follow_redirects=True)
    assert "They are already an admin." in text_of(response)

    # The admin may remove plain members, not the owner.
    response = b.post(f"/chats/{group}/members/{alice.user_id}/remove", follow_redirects=True)
    assert "Admins can remove members only." in text_of(response)
    assert alice.user_id in roles(app, group)
    response = b.post(f"/chats/{group}/members/{carol.user_id}/remove", follow_redirects=True)
    assert "Removed from the group." in text_of(response)
    assert carol.user_id not in roles(app, group)
    assert visitor(carol).get(f"/chats/{group}").status_code == 404

    a.post(f"/chats/{group}/members/{bob.user_id}/role", {"privilege": "member"})
    assert roles(app, group)[bob.user_id] == "member"
    response = a.post(f"/chats/{group}/members/{bob.user_id}/owner", follow_redirects=True)
    assert "Ownership handed over." in text_of(response)
    assert roles(app, group) == {alice.user_id: "admin", bob.user_id: "owner"}


def test_leave(app, visitor, group, alice, carol):
    response = visitor(alice).post(f"/chats/{group}/leave", follow_redirects=True)
    assert "Make someone else the owner before you leave." in text_of(response)
    assert alice.user_id in roles(app, group)
    response = visitor(carol).post(f"/chats/{group}/leave")
    assert response.headers["Location"] == "/chats"
    assert carol.user_id not in roles(app, group)


def test_dissolve_needs_the_confirmation(app, visitor, group, alice, bob):
    a = visitor(alice)
    response = a.post(f"/chats/{group}/dissolve", {})
    assert response.status_code == 400 and "Tick the box to confirm." in text_of(response)
    assert count(app, Chat) == 1
    response = visitor(bob).post(f"/chats/{group}/dissolve", {"confirm": "y"},
                                 follow_redirects=True)
    assert "Your role in this chat does not allow that." in text_of(response)
    assert count(app, Chat) == 1
    response = a.post(f"/chats/{group}/dissolve", {"confirm": "y"})
    assert response.headers["Location"] == "/chats"
    assert count(app, Chat) == 0 and count(app, Membership) == 0
    assert "The group was dissolved." in a.page("/chats")
    assert a.get(f"/chats/{group}").status_code == 404


# --- messages in the list and the timeline -------------------------------------------------


def test_list_shows_last_message_and_unread_and_the_timeline_shows_messages(api, visitor, group,
                                                                            alice, bob):
    sent = api(bob).post(f"/api/chats/{group}/messages",
                         json={"text": "See you at <b>8</b>", "client_msg_id": "m-1"})
    assert sent.status_code == 201
    a = visitor(alice)
    listing = a.page("/chats")
    assert "bob: See you at &lt;b&gt;8&lt;/b&gt;" in listing
    assert re.search(r'class="unread"[^>]*>1<', listing)
    page = a.page(f"/chats/{group}")
    assert "<b>8</b>" not in page
    notice, message = timeline_of(page)[-2:]  # in order, as data
    assert notice["text"] == "alice added carol" and message["msg_text"] == "See you at <b>8</b>"

    msg_id = sent.get_json()["message"]["msg_id"]
    assert api(bob).post(f"/api/chats/{group}/messages/{msg_id}/recall").status_code == 200
    last = timeline_of(a.page(f"/chats/{group}"))[-1]
    assert last["recalled"] and last["msg_id"] == msg_id and not last["msg_text"]
    assert "bob: message recalled" in a.page("/chats")


def test_timeline_shows_files_inline_or_as_downloads(api, visitor, group, alice, bob):
    for content, name, msg_id in ((image_bytes(), "cat.png", "f-1"),
                                  (b"minutes of the meeting", "notes <1>.txt", "f-2")):
        response = api(bob).post(f"/api/chats/{group}/files", content_type="multipart/form-data",
                                 data={"file": (io.BytesIO(content), name),
                                       "client_msg_id": msg_id})
        assert response.status_code == 201, response.get_json()
    image, notes = timeline_of(visitor(alice).page(f"/chats/{group}"))[-2:]
    assert image["msg_type"] == "image" and image["file"]["name"] == "cat.png"
    assert re.fullmatch(r"/files/\d+/thumbnail", image["file"]["thumbnail_url"])
    assert notes["msg_type"] == "others" and notes["file"]["name"] == "notes <1>.txt"
    assert notes["file"]["size"] == 22 and notes["file"]["thumbnail_url"] is None
    assert "bob: File · notes &lt;1&gt;.txt" in visitor(alice).page("/chats")


def test_every_page_shows_what_waits_unread_in_the_top_bar(app, api, visitor, group, alice, bob):
    private = api(alice).post("/api/chats/private", json={"user_id": bob.user_id})
    chat_id = private.get_json()["chat"]["chat_id"]
    sent = [api(bob).post(f"/api/chats/{c}/messages", json={"text": t, "client_msg_id": t})
            .get_json()["message"] for c, t in [(group, "g-1"), (chat_id, "p-1"), (chat_id, "p-2")]]
    api(alice).post(f"/api/chats/{group}/messages", json={"text": "mine", "client_msg_id": "a-1"})
    with app.test_request_context():  # notices and one's own messages do not count
        assert unread_counts(db.session.get(User, alice.user_id)) == {
            chat_id: (2, sent[2]["seq"])}

    a = visitor(alice)
    for path in ["/friends", "/chats", f"/chats/{group}/settings", "/profile", "/search?q=x"]:
        page = a.page(path)
        badge = re.search(r'<span class="nav-unread"[^>]*>', page).group(0)
        assert "hidden" not in badge, path
        assert f"data-unread='{{\"{chat_id}\": [2, {sent[2]['seq']}]}}'" in badge, path
        assert re.search(r'<span aria-hidden="true">2</span><span class="visually-hidden"> 2 '
                         r'unread messages</span>', page), path
        assert 'src="/static/js/page.js"' in page, path

    api(alice).post(f"/api/chats/{chat_id}/read", json={"up_to_seq": sent[2]["seq"]})
    badge = re.search(r'<span class="nav-unread"[^>]*>', a.page("/friends")).group(0)
    assert " hidden" in badge and "data-unread='{}'" in badge
    assert "nav-unread" not in visitor().page("/login")  # nobody signed in: no badge, no socket
    assert "/static/js/" not in visitor().page("/login")


def test_the_sidebar_beside_a_chat_lists_only_ones_own_chats(api, visitor, group, alice,
                                                             mallory):
    secret = api(mallory).post("/api/chats", json={"chat_name": "Secret plans"}).get_json()
    page = visitor(alice).page(f"/chats/{group}")
    sidebar = page[page.index("data-sidebar"):page.index("data-chat-pane")]
    assert "Team" in sidebar and "Secret plans" not in sidebar
    assert re.search(rf'data-chat-id="{group}"\s+aria-current="page"', sidebar)
    part = visitor(alice).page(f"/chats/sidebar?current={group}")
    assert "Team" in part and "Secret plans" not in part and "<html" not in part
    # Naming someone else's chat as the current one shows nothing of it.
    other = visitor(alice).page(f"/chats/sidebar?current={secret['chat']['chat_id']}")
    assert "Secret plans" not in other and 'aria-current="page"' not in other
    anonymous = visitor().get("/chats/sidebar")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
