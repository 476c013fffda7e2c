"""A group's details in a side panel of the chat page: members with roles and presence, and
the settings the viewer may use. It updates live, stays open across live refreshes and chat
changes, closes with Escape, and lies over the conversation at a phone's width.
"""

import pytest

from tests.browser.support import (
    LIVE,
    Browser,
    api_for,
    befriend,
    chat_id_of,
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


def test_the_panel_forms_answer_in_place_without_reloading(new_context, live_server, alice, bob,
                                                           make_user):
    """Renaming, giving a role and removing someone from the panel keep the conversation (and
    what is typed in it) as it is; the server's message shows in the panel, a form's error too,
    with the focus on the field. Dissolving leaves for the chat list, with its message."""
    carol = make_user("carol")
    group_url = group_chat(live_server, alice, bob, carol, name="Launch")
    problems = []
    a = Browser(new_context, alice, problems).tab(group_url)
    a.evaluate("window.__sameDocument = true")  # gone if the page ever reloads
    a.locator("[data-composer-text]").fill("half a thought")
    details_button(a).click()

    name = panel(a).get_by_label("Group name")
    name.fill("")
    panel(a).get_by_role("button", name="Rename").click()
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(name).to_be_focused()
    expect(panel(a)).to_contain_text("Give the group a name.")

    name.fill("Liftoff")
    panel(a).get_by_role("button", name="Rename").click()
    expect(panel(a).get_by_test_id("panel-status")).to_contain_text("Renamed to “Liftoff”.")
    expect(a.get_by_test_id("chat-name")).to_have_text("Liftoff")
    expect(a).to_have_title("Liftoff · chatapp")

    member(a, "bob").get_by_role("button", name="Make admin").click()
    expect(member(a, "bob").get_by_role("button", name="Make member")).to_be_visible()
    member(a, "carol").get_by_role("button", name="Remove").click()
    a.get_by_test_id("confirm").get_by_role("button", name="Remove").click()
    expect(member(a, "carol")).to_have_count(0)
    expect(panel(a).get_by_test_id("panel-status")).to_contain_text("Removed from the group.")
    expect(panel(a)).to_be_visible()
    assert a.evaluate("window.__sameDocument === true"), "the page was reloaded"
    expect(a.locator("[data-composer-text]")).to_have_value("half a thought")

    # A live change meanwhile redraws the panel: what alice ticked stays ticked.
    panel(a).get_by_label("I understand", exact=False).check()
    renamed = api_for(live_server, bob).request("PATCH", f"/api/chats/{chat_id_of(group_url)}",
                                                json={"chat_name": "Liftoff 2"})
    assert renamed.status_code == 200, renamed.text
    expect(a.get_by_test_id("chat-name")).to_have_text("Liftoff 2", timeout=LIVE)
    expect(panel(a).get_by_label("I understand", exact=False)).to_be_checked()
    panel(a).get_by_role("button", name="Dissolve group").click()
    expect(a).to_have_url(live_server + "/chats")
    expect(a.locator(".flashes")).to_contain_text("The group was dissolved.")
    expected = [  # the answer to the nameless rename
        "alice#1 console: Failed to load resource: the server responded with a status of 400 "
        "(BAD REQUEST)",
    ]
    assert problems == expected


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
