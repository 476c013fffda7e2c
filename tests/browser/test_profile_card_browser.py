"""Profile cards in a real browser: a click on a name or avatar shows who that is, whether
they are online, and what one can do about them (message a friend, ask a stranger)."""

import re

import pytest

from tests.browser.support import (
    LIVE,
    Browser,
    api_for,
    expect,
    group_chat,
    no_problems,
    post_text,
    settled,
)

pytestmark = pytest.mark.browser


def card(page):
    return page.get_by_test_id("profile-card")


def sender_name(page, name):
    return page.locator("[data-testid=messages] li.msg .msg-meta [data-user-card]").filter(
        has_text=re.compile(f"^{name}$")).first


def sender_avatar(page, name):
    """The avatar beside a message of ``name``."""
    own = page.locator(".msg-meta [data-user-card]").filter(has_text=re.compile(f"^{name}$"))
    return page.locator("[data-testid=messages] li.msg").filter(has=own).first.locator(
        "img[data-user-card]")


def test_a_name_or_avatar_opens_the_card_with_its_actions(new_context, live_server, make_user,
                                                         alice, bob, screenshot):
    carol = make_user("carol")
    # bob's group: alice and carol both know bob, not each other.
    team = group_chat(live_server, bob, alice, carol, name="Launch")
    post_text(api_for(live_server, carol), team, "Hi all, carol here")
    post_text(api_for(live_server, bob), team, "Welcome carol")
    problems = []
    page = Browser(new_context, alice, problems).tab(team)
    settled(page)

    # carol, a stranger: her card, then a friend request from it.
    name = sender_name(page, "carol")
    name.click()
    expect(card(page)).to_be_visible()
    expect(card(page).get_by_role("heading", name="carol")).to_be_visible()
    expect(page.get_by_role("dialog", name="carol")).to_be_visible()
    expect(card(page).get_by_test_id("profile-presence")).to_have_text(
        re.compile(r"^(Online|Last seen .+|Offline)$"))
    add = card(page).get_by_test_id("profile-add-friend")
    expect(add).to_be_focused()  # focus moved into the card
    screenshot(page, "profile-card-stranger")
    add.click()
    expect(card(page).get_by_test_id("profile-request-sent")).to_have_text("Request sent")
    incoming = api_for(live_server, carol).get("/api/friend-requests").json()["incoming"]
    assert [r["sender"]["user_name"] for r in incoming] == ["alice"]

    # Escape closes it and gives focus back to the name.
    page.keyboard.press("Escape")
    expect(card(page)).to_have_count(0)
    expect(name).to_be_focused()
    # From the keyboard too, and a click outside closes it.
    page.keyboard.press("Enter")
    expect(card(page).get_by_test_id("profile-request-sent")).to_have_text("Request sent")
    page.get_by_test_id("chat-name").click()
    expect(card(page)).to_have_count(0)

    # bob, a friend: "Message" opens the private chat with him.
    sender_avatar(page, "bob").click()
    expect(card(page).get_by_role("heading", name="bob")).to_be_visible()
    message = card(page).get_by_test_id("profile-message")
    expect(message).to_be_focused()
    screenshot(page, "profile-card-friend")
    message.click()
    expect(page.get_by_test_id("chat-name")).to_have_text("bob", timeout=LIVE)
    expect(page).to_have_url(re.compile(r"/chats/\d+$"))
    assert page.url.rstrip("/") != (live_server + team).rstrip("/")
    expect(card(page)).to_have_count(0)
    # The chat was new, so the page loaded: its scripts run once the connection is up.
    expect(page.get_by_test_id("live-status")).to_have_attribute("data-state", "live",
                                                                 timeout=LIVE)

    # In the private chat's header, bob's avatar opens his card as well.
    page.get_by_role("button", name="Profile of bob").click()
    expect(card(page).get_by_role("heading", name="bob")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("button", name="Profile of bob")).to_be_focused()
    no_problems(problems, page)


@pytest.mark.parametrize(("look", "options"), [
    ("dark", {"color_scheme": "dark"}),
    ("zh", {"locale": "zh-CN"}),
])
def test_the_card_in_dark_and_in_chinese(new_context, live_server, make_user, alice, bob,
                                         screenshot, look, options):
    carol = make_user("carol")
    team = group_chat(live_server, bob, alice, carol, name="Launch")
    post_text(api_for(live_server, carol), team, "Hi all")
    problems = []
    page = Browser(new_context, alice, problems, **options).tab(team)
    settled(page)
    sender_name(page, "carol").click()
    add = card(page).get_by_test_id("profile-add-friend")
    expect(add).to_have_text("加好友" if look == "zh" else "Add friend")
    screenshot(page, f"profile-card-{look}")
    page.keyboard.press("Escape")
    expect(card(page)).to_have_count(0)
    no_problems(problems, page)


def test_a_members_name_in_the_group_panel_opens_the_card_from_the_keyboard(
        new_context, live_server, make_user, alice, bob):
    carol = make_user("carol")
    team = group_chat(live_server, bob, alice, carol, name="Launch")
    problems = []
    page = Browser(new_context, alice, problems).tab(team)
    settled(page)
    page.get_by_test_id("details-button").click()
    members = page.get_by_test_id("group-panel").get_by_test_id("members")
    expect(members).to_be_visible()
    name = members.get_by_test_id("member-carol").get_by_role("button", name="carol", exact=True)
    expect(name).to_be_visible()
    # Tab from the panel's heading (focused when it opens) to carol's name.
    for _ in range(12):
        if name.evaluate("node => node === document.activeElement"):
            break
        page.keyboard.press("Tab")
    expect(name).to_be_focused()
    expect(name).to_have_attribute("aria-haspopup", "dialog")
    page.keyboard.press("Enter")
    expect(card(page).get_by_role("heading", name="carol")).to_be_visible()
    expect(page.get_by_role("dialog", name="carol")).to_be_visible()
    expect(card(page).get_by_test_id("profile-add-friend")).to_be_focused()
    page.keyboard.press("Escape")
    expect(card(page)).to_have_count(0)
    expect(name).to_be_focused()
    # One's own name in the list is a button of its own, "(you)" beside it.
    expect(members.get_by_test_id("member-alice").get_by_role(
        "button", name="alice", exact=True)).to_have_attribute("data-user-card", str(alice.user_id))
    no_problems(problems, page)
