"""Friends and groups in two real browsers: each change one person makes appears live for the
other, without a reload."""

import re
import uuid

import pytest

from tests.browser.support import CSP_RECORDER, expect
from tests.helpers import image_bytes

pytestmark = pytest.mark.browser

LIVE = 5_000  # ms: how long a live update may take to show on the other side

def open_browser(new_context, person, problems):
    """A logged-in page in its own browser context, recording console errors and CSP."""
    context = new_context()
    context.add_init_script(CSP_RECORDER)
    page = context.new_page()
    page.on("console", lambda msg: msg.type == "error" and problems.append(
        f"{person.user_name} console: {msg.text} at {msg.location.get('url')}"))
    page.on("pageerror", lambda error: problems.append(f"{person.user_name} error: {error}"))
    page.goto("/login")
    page.get_by_label("User name").fill(person.user_name)
    page.get_by_label("Password", exact=True).fill(person.password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name=f"Hello, {person.user_name}")).to_be_visible()
    return page


def go(page, path):
    """Open a page and wait until its live connection is up (events before that are missed)."""
    if path is not None:
        page.goto(path)
    expect(page.get_by_test_id("live-status")).to_have_attribute("data-state", "live")


def send(page, chat_url, text=None, file=None):
    """Send a message or a file (name, bytes) through the JSON API with the page's session
    (the pages have no composer yet)."""
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    chat_id = chat_url.rstrip("/").rsplit("/", 1)[1]
    client_msg_id = f"t-{uuid.uuid4()}"
    if file:
        name, content = file
        response = page.request.post(
            f"/api/chats/{chat_id}/files", headers={"X-CSRFToken": token},
            multipart={"file": {"name": name, "mimeType": "application/octet-stream",
                                "buffer": content}, "client_msg_id": client_msg_id})
    else:
        response = page.request.post(f"/api/chats/{chat_id}/messages",
                                     data={"text": text, "client_msg_id": client_msg_id},
                                     headers={"X-CSRFToken": token})
    assert response.status == 201, response.text()


def flash(page):
    return page.locator(".flashes")


def csp_violations(page):
    return page.evaluate("window.__csp || []")


def test_friends_and_a_group_change_live_in_two_browsers(new_context, live_server, alice, bob,
                                                        screenshot):
    problems = []
    a = open_browser(new_context, alice, problems)
    b = open_browser(new_context, bob, problems)

    # Alice finds bob and asks; bob's open friends page shows the request as it arrives.
    go(b, "/friends")
    go(a, "/friends")
    a.get_by_label("Find people by user name").fill("BO")
    a.get_by_role("button", name="Search").click()
    result = a.get_by_test_id("result-bob")
    result.get_by_label("Note to bob (optional)").fill("Hi Bob, it's Alice from the office")
    screenshot(a, "friends-search")
    result.get_by_role("button", name="Add friend").click()
    expect(flash(a)).to_contain_text("Friend request sent to bob.")
    expect(a.get_by_test_id("result-bob")).to_contain_text("Request sent")
    expect(b.get_by_test_id("incoming-alice")).to_contain_text("Hi Bob, it's Alice", timeout=LIVE)
    screenshot(b, "friends-request")

    # Bob accepts; alice's page turns the pending request into a friend, live.
    go(a, None)
    b.get_by_test_id("incoming-alice").get_by_role("button", name="Accept").click()
    expect(flash(b)).to_contain_text("You and alice are friends now.")
    expect(a.get_by_test_id("friend-bob")).to_be_visible(timeout=LIVE)
    expect(a.get_by_test_id("result-bob")).to_contain_text("Friend")
    expect(a.get_by_test_id("outgoing-bob")).to_have_count(0)
    expect(a.get_by_label("Note to bob (optional)")).to_have_count(0)
    screenshot(a, "friends")

    # Alice opens their private chat from the friends list.
    a.get_by_test_id("friend-bob").get_by_role("button", name="Message").click()
    expect(a).to_have_url(re.compile(r"/chats/\d+$"))
    expect(a.get_by_test_id("chat-name")).to_have_text("bob")
    expect(a.get_by_text("Private chat", exact=True)).to_be_visible()  # the header, not the list

    # Alice starts a group with bob; bob's chat list shows it at once.
    go(b, "/chats")
    expect(b.get_by_test_id("chat-list")).to_contain_text("alice")
    a.goto("/chats")
    a.get_by_label("Group name").fill("Launch team")
    a.get_by_label("bob").check()
    a.get_by_role("button", name="Create group").click()
    expect(a.get_by_test_id("chat-name")).to_have_text("Launch team")
    expect(a.get_by_test_id("messages")).to_contain_text("alice added bob")
    group_url = a.url
    expect(b.get_by_test_id("chat-list")).to_contain_text("Launch team", timeout=LIVE)
    screenshot(b, "chats")
    screenshot(a, "chat")

    # Bob watches the group's settings while alice promotes him, then demotes him.
    b.get_by_role("link", name=re.compile("Launch team")).click()
    expect(b.get_by_test_id("chat-name")).to_have_text("Launch team")
    go(b, group_url + "/settings")  # the page the Details link leads to without scripts
    go(a, group_url + "/settings")
    bob_row = b.get_by_test_id("member-bob")
    expect(bob_row).to_contain_text("member")
    a.get_by_test_id("member-bob").get_by_role("button", name="Make admin").click()
    expect(flash(a)).to_contain_text("bob is an admin now.")
    expect(bob_row.locator(".role")).to_have_text("admin", timeout=LIVE)
    expect(b.get_by_test_id("my-role")).to_contain_text("you are an admin")
    screenshot(a, "settings")
    screenshot(b, "settings-admin")

    a.get_by_test_id("member-bob").get_by_role("button", name="Make member").click()
    expect(bob_row.locator(".role")).to_have_text("member", timeout=LIVE)

    # Bob has the chat open: alice's message appears; then she removes him and his page
    # leaves for the chat list.
    go(b, group_url)
    expect(b.get_by_test_id("messages")).to_contain_text("alice made bob a member")
    send(a, group_url, "Welcome aboard, <b>bob</b>!")
    expect(b.get_by_test_id("messages")).to_contain_text("Welcome aboard, <b>bob</b>!",
                                                         timeout=LIVE)
    screenshot(b, "chat-message")
    a.get_by_test_id("member-bob").get_by_role("button", name="Remove").click()
    a.get_by_role("dialog").get_by_role("button", name="Remove").click()  # confirmed
    expect(flash(a)).to_contain_text("Removed from the group.")
    expect(b).to_have_url(live_server + "/chats", timeout=LIVE)
    expect(flash(b)).to_contain_text("You were removed from “Launch team”.")
    expect(b.get_by_test_id("chat-list")).not_to_contain_text("Launch team")
    assert b.goto(group_url).status == 404
    go(b, "/chats")

    # Alice adds him again: the group is back in his list; then she dissolves it.
    a.get_by_label("bob").check()
    a.get_by_role("button", name="Add to group").click()
    expect(flash(a)).to_contain_text("Added bob.")
    expect(b.get_by_test_id("chat-list")).to_contain_text("Launch team", timeout=LIVE)

    a.get_by_role("button", name="Dissolve group").click()  # not confirmed yet
    expect(a.get_by_test_id("dissolve-form")).to_contain_text("Tick the box to confirm.")
    expect(b.get_by_test_id("chat-list")).to_contain_text("Launch team")
    a.get_by_label(re.compile("I understand")).check()
    a.get_by_role("button", name="Dissolve group").click()
    expect(a).to_have_url(live_server + "/chats")
    expect(flash(a)).to_contain_text("The group was dissolved.")
    expect(b.get_by_test_id("chat-list")).not_to_contain_text("Launch team", timeout=LIVE)
    expect(b.get_by_test_id("chat-list")).to_contain_text("alice")

    for page in (a, b):
        problems.extend(f"CSP: {v}" for v in csp_violations(page))
    expected = [  # the page of a chat bob left, and the unconfirmed dissolve
        f"bob console: Failed to load resource: the server responded with a status of 404 "
        f"(NOT FOUND) at {group_url}",
        f"alice console: Failed to load resource: the server responded with a status of 400 "
        f"(BAD REQUEST) at {group_url}/dissolve",
    ]
    assert problems == expected


def test_pages_on_a_phone_and_in_the_dark(new_context, live_server, alice, bob, screenshot):
    """For people to look at; also: nothing overflows sideways at phone width."""
    problems = []
    a = open_browser(new_context, alice, problems)
    b = open_browser(new_context, bob, problems)
    go(a, "/friends")
    a.get_by_label("Find people by user name").fill("b")
    a.get_by_role("button", name="Search").click()
    a.get_by_test_id("result-bob").get_by_role("button", name="Add friend").click()
    go(b, "/friends")
    b.get_by_role("button", name="Accept").click()
    a.goto("/chats")
    a.get_by_label("Group name").fill("Weekend hikes and other adventures")
    a.get_by_label("bob").check()
    a.get_by_role("button", name="Create group").click()
    expect(a.get_by_test_id("chat-name")).to_have_text("Weekend hikes and other adventures")
    chat_url = a.url
    send(b, chat_url, "Saturday at 8? I'll bring the map and far too many sandwiches.")
    send(a, chat_url, file=("ridge.png", image_bytes(size=(480, 320), color=(60, 140, 90))))
    send(a, chat_url, file=("route notes.txt", b"north ridge, then the lake"))
    send(a, chat_url, "Perfect, see you there!")

    a.set_viewport_size({"width": 390, "height": 844})
    for path, name in (("/friends?q=b", "friends"), ("/", "home"), (chat_url, "chat"),
                       (chat_url + "/settings", "settings")):
        go(a, path)
        overflow = a.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} is {overflow}px wider than the phone"
        screenshot(a, f"{name}-narrow")
    a.emulate_media(color_scheme="dark")
    screenshot(a, "settings-narrow-dark")
    go(a, "/friends")
    screenshot(a, "friends-narrow-dark")
    problems.extend(f"CSP: {v}" for v in csp_violations(a))
    assert problems == []
