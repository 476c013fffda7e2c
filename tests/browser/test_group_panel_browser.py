"""A group's details in a side panel of the chat page: members with roles and presence, and
the settings the viewer may use. It updates live, stays open across live refreshes and chat
changes, closes with Escape, and lies over the conversation at a phone's width.
"""

import pytest

from tests.browser.test_messaging_browser import (
    LIVE,
    Browser,
    befriend,
    expect,
    group_chat,
    no_problems,
    too_wide,
    wait_live,
)

pytestmark = pytest.mark.browser


def panel(page):
    return page.get_by_test_id("group-panel")


def details_button(page):
    return page.get_by_test_id("details-button")


def member(page, name):
    return panel(page).get_by_test_id(f"member-{name}")


def test_group_details_open_beside_the_conversation_and_follow_changes(
        new_context, live_server, alice, bob, make_user, screenshot):
    carol = make_user("carol")
    dave = make_user("dave")
    group_url = group_chat(live_server, alice, bob, carol, name="Launch")
    other_url = group_chat(live_server, alice, bob, name="Coffee")
    befriend(live_server, alice, dave)
    problems = []
    alice_browser = Browser(new_context, alice, problems)
    bob_browser = Browser(new_context, bob, problems)

    a = alice_browser.tab(group_url)
    expect(panel(a)).to_be_hidden()
    expect(details_button(a)).to_have_attribute("aria-expanded", "false")
    expect(details_button(a)).to_have_attribute("aria-controls", "group-panel")
    details_button(a).click()
    expect(panel(a)).to_be_visible()
    expect(details_button(a)).to_have_attribute("aria-expanded", "true")
    expect(a.get_by_role("heading", name="Group details")).to_be_focused()
    expect(member(a, "alice")).to_contain_text("owner")
    expect(member(a, "alice")).to_contain_text("(you)")
    expect(member(a, "bob")).to_contain_text("member")
    expect(member(a, "bob").locator("[data-presence]")).to_have_attribute("data-online", "false")
    # The conversation stays beside it.
    assert panel(a).bounding_box()["x"] > a.locator("[data-chat]").bounding_box()["x"]

    b = bob_browser.tab(group_url)
    details_button(b).click()
    expect(member(b, "carol")).to_contain_text("member")
    expect(panel(b).get_by_role("button", name="Rename")).to_have_count(0)  # a plain member
    expect(member(a, "bob").locator("[data-presence]")).to_have_attribute(
        "data-online", "true", timeout=LIVE)

    # alice adds dave from the panel: back on the chat with the panel open; bob's follows live.
    panel(a).get_by_label("dave").check()
    panel(a).get_by_role("button", name="Add to group").click()
    wait_live(a)
    expect(member(a, "dave")).to_contain_text("member")
    expect(details_button(a)).to_have_attribute("aria-expanded", "true")
    expect(member(b, "dave")).to_be_visible(timeout=LIVE)
    expect(panel(b).get_by_role("heading", name="Members")).to_contain_text("4")

    # A role given from the panel shows at once for alice, and live for bob with his new rights.
    member(a, "bob").get_by_role("button", name="Make admin").click()
    wait_live(a)
    expect(member(a, "bob")).to_contain_text("admin")
    expect(member(b, "bob")).to_contain_text("admin", timeout=LIVE)
    expect(panel(b).get_by_role("button", name="Rename")).to_be_visible()
    expect(details_button(b)).to_have_attribute("aria-expanded", "true")
    screenshot(a, "group-panel")

    # Escape closes it and the focus returns to the button.
    panel(a).get_by_role("heading", name="Group details").focus()
    a.keyboard.press("Escape")
    expect(panel(a)).to_be_hidden()
    expect(details_button(a)).to_be_focused()
    expect(details_button(a)).to_have_attribute("aria-expanded", "false")

    # Open again, then change chats in the sidebar: the panel stays open for the other group.
    a.keyboard.press("Enter")
    expect(panel(a)).to_be_visible()
    a.get_by_test_id("sidebar-list").get_by_role("link", name="Coffee").first.click()
    expect(a).to_have_url(live_server + other_url)
    expect(panel(a)).to_be_visible()
    expect(member(a, "bob")).to_be_visible()
    expect(member(a, "dave")).to_have_count(0)
    expect(details_button(a)).to_have_attribute("aria-expanded", "true")
    a.emulate_media(color_scheme="dark")
    screenshot(a, "group-panel-dark")

    # At a phone's width the open panel lies over the conversation and fits the screen.
    b.set_viewport_size({"width": 390, "height": 844})
    expect(panel(b)).to_be_visible()
    assert panel(b).evaluate("e => getComputedStyle(e).position") == "fixed"
    assert too_wide(b, "[data-group-panel]") == []
    screenshot(b, "group-panel-phone")
    b.keyboard.press("Escape")
    expect(panel(b)).to_be_hidden()
    no_problems(problems, a, b)


def test_group_details_in_chinese(new_context, live_server, alice, bob, screenshot):
    group_url = group_chat(live_server, alice, bob, name="发布")
    problems = []
    page = Browser(new_context, alice, problems, locale="zh-CN").tab(group_url)
    details_button(page).click()
    expect(panel(page)).to_be_visible()
    expect(page.get_by_role("heading", name="群组详情")).to_be_visible()
    screenshot(page, "group-panel-zh")
    page.emulate_media(color_scheme="dark")
    screenshot(page, "group-panel-zh-dark")
    no_problems(problems, page)
