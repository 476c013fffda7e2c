"""What waits unread, wherever the person is: the badge of the top bar's "Chats" link and the
count in the tab title, on every page, kept current live and after a lost connection.
"""

import pytest

from tests.browser.support import (
    LIVE,
    Browser,
    api_for,
    chat_id_of,
    expect,
    group_chat,
    no_problems,
    post_text,
    private_chat,
    too_wide,
    wait_live,
)
from tests.browser.test_web_client_browser import chinese_catalog_ready

pytestmark = pytest.mark.browser


def badge(page):
    return page.get_by_test_id("nav-unread")


def shows_unread(page, count, title):
    """The badge says ``count`` (to screen readers too) and the tab title starts with it."""
    if count:
        expect(badge(page)).to_be_visible(timeout=LIVE)
        expect(badge(page)).to_have_text(f"{count} {count} unread messages", timeout=LIVE)
        expect(page).to_have_title(f"({count}) {title} · chatapp", timeout=LIVE)
    else:
        expect(badge(page)).to_be_hidden(timeout=LIVE)
        expect(page).to_have_title(f"{title} · chatapp", timeout=LIVE)


def test_the_unread_badge_and_title_follow_the_person_to_every_page(new_context, live_server,
                                                                     alice, bob, make_user,
                                                                     screenshot):
    carol = make_user("carol")
    private_url = private_chat(live_server, alice, bob)
    group_url = group_chat(live_server, carol, alice, bob, name="Ops")
    from_bob, from_carol = api_for(live_server, bob), api_for(live_server, carol)
    as_alice = api_for(live_server, alice)
    problems = []
    alice_browser = Browser(new_context, alice, problems)
    friends = alice_browser.tab("/friends")
    shows_unread(friends, 0, "Friends")

    # Live on a page that shows no chats: a private message, then two in a group.
    post_text(from_bob, private_url, "Are you coming?")
    shows_unread(friends, 1, "Friends")
    expect(friends.get_by_role("link", name="Chats 1 unread messages")).to_be_visible()
    post_text(from_carol, group_url, "Standup moved to 10")
    first_of_two = post_text(from_bob, group_url, "Room 4")
    shows_unread(friends, 3, "Friends")
    screenshot(friends, "unread-badge-friends-light")
    friends.emulate_media(color_scheme="dark")
    screenshot(friends, "unread-badge-friends-dark")
    friends.emulate_media(color_scheme="light")
    friends.set_viewport_size({"width": 390, "height": 844})  # a phone: the top bar still fits
    expect(badge(friends)).to_be_visible()
    assert too_wide(friends, ".topbar") == []
    screenshot(friends, "unread-badge-friends-narrow")
    friends.set_viewport_size({"width": 1280, "height": 800})

    # Rendered with the page, everywhere: profile and search have nothing live of their own.
    profile = alice_browser.tab("/profile")
    shows_unread(profile, 3, "Profile")

    # Reading in another tab counts on every tab; one's own message counts as reading.
    chat = alice_browser.tab(private_url)
    shows_unread(chat, 2, "bob")  # the other chat's, while this one is read
    shows_unread(friends, 2, "Friends")
    shows_unread(profile, 2, "Profile")
    # Read part of a chat: what is left comes from the server.
    read = as_alice.post(f"/api/chats/{chat_id_of(group_url)}/read",
                         json={"up_to_seq": first_of_two["seq"] - 1})
    assert read.status_code == 200, read.text
    shows_unread(friends, 1, "Friends")
    post_text(as_alice, group_url, "On my way")
    shows_unread(friends, 0, "Friends")
    shows_unread(chat, 0, "bob")

    # Away from the chat page, a message to it counts too; on it, only while not looked at.
    post_text(from_carol, group_url, "Bring the laptop")
    shows_unread(chat, 1, "bob")
    shows_unread(profile, 1, "Profile")

    # Removed from the group: what waited there is no longer counted.
    removed = from_carol.request(
        "DELETE", f"/api/chats/{chat_id_of(group_url)}/members/{alice.user_id}")
    assert removed.status_code == 204, removed.text
    shows_unread(profile, 0, "Profile")
    shows_unread(chat, 0, "bob")

    # What came while the tabs were offline is counted once they are back (no tab is on the
    # chat, which would read it).
    chat.goto("/search?q=Friday")
    wait_live(chat)
    with alice_browser.offline():
        post_text(from_bob, private_url, "Call me when you can")
        post_text(from_bob, private_url, "It is about Friday")
    shows_unread(profile, 2, "Profile")
    shows_unread(chat, 2, "Search: Friday")
    no_problems(problems, friends, profile, chat)


def test_the_badge_speaks_chinese(new_context, live_server, alice, bob, screenshot):
    if not chinese_catalog_ready():
        pytest.xfail("the Chinese catalog lacks the chat page's messages")
    private_url = private_chat(live_server, alice, bob)
    post_text(api_for(live_server, bob), private_url, "早上好")
    problems = []
    friends = Browser(new_context, alice, problems, locale="zh-CN").tab("/friends")
    expect(badge(friends)).to_have_text("1 1 条未读消息")
    expect(friends).to_have_title("(1) 好友 · chatapp")
    screenshot(friends, "unread-badge-friends-zh-light")
    friends.emulate_media(color_scheme="dark")
    screenshot(friends, "unread-badge-friends-zh-dark")
    no_problems(problems, friends)
