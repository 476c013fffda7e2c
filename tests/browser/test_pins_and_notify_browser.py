"""Pins and muting in real browsers: an owner pins, members see the pinned list live and open a
pinned message from it; a member mutes a chat, which then shows dimmed and does not notify."""

import pytest

from tests.browser.support import (
    LIVE,
    Browser,
    api_for,
    expect,
    group_chat,
    message,
    no_problems,
    post_text,
    texts,
)

pytestmark = pytest.mark.browser


def test_an_owner_pins_and_members_open_the_pinned_list_live(new_context, live_server, alice,
                                                             bob, make_user, screenshot):
    carol = make_user("carol")
    group_url = group_chat(live_server, alice, bob, carol, name="Ops")
    bobs = api_for(live_server, bob)
    post_text(bobs, group_url, "Runbook: https://example.com/runbook")
    for i in range(40):
        post_text(bobs, group_url, f"chatter {i}")
    problems = []
    a = Browser(new_context, alice, problems).tab(group_url)
    c = Browser(new_context, carol, problems).tab(group_url)
    expect(c.get_by_test_id("pins-button")).to_be_hidden()
    # carol is a member: no Pin action; alice owns the group.
    expect(message(c, "chatter 39").get_by_role("button", name="Pin")).to_have_count(0)
    runbook = message(a, "Runbook")
    runbook.scroll_into_view_if_needed()
    runbook.hover()
    runbook.get_by_role("button", name="Pin").click()
    expect(runbook.locator(".pinned-mark")).to_be_visible()
    button = c.get_by_test_id("pins-button")
    expect(button).to_have_text("📌 Pinned (1)", timeout=LIVE)
    button.click()
    panel = c.get_by_test_id("pins-panel")
    expect(panel.locator(".pin-open")).to_have_count(1)
    expect(panel.locator(".pin-open")).to_contain_text("Runbook")
    screenshot(c, "pins-panel")
    panel.locator(".pin-open").click()
    expect(message(c, "Runbook")).to_have_class("msg msg-highlight")
    expect(message(c, "Runbook")).to_be_in_viewport()
    # Unpinned by the owner: the open list empties and the button goes.
    runbook.hover()
    runbook.get_by_role("button", name="Unpin").click()
    expect(panel.locator(".pin-open")).to_have_count(0, timeout=LIVE)
    expect(c.get_by_test_id("pins-button")).to_be_hidden()
    no_problems(problems, a, c)


NOTIFICATIONS = """() => {
    window.__shown = [];
    window.Notification = class {
        constructor(title, options) { window.__shown.push([title, options.body]); }
        static get permission() { return "granted"; }
    };
    Object.defineProperty(document, "visibilityState", {get: () => "hidden"});
}"""


def test_a_muted_chat_is_dimmed_counts_unread_and_does_not_notify(new_context, live_server,
                                                                  alice, bob, make_user):
    carol = make_user("carol")
    group_url = group_chat(live_server, alice, bob, carol, name="Ops")
    other_url = group_chat(live_server, alice, bob, carol, name="Lunch")
    problems = []
    b = Browser(new_context, bob, problems).tab(group_url)
    select = b.get_by_test_id("chat-notify")
    expect(select).to_have_value("all")
    select.select_option("none")
    link = b.locator(f"[data-testid=chat-{group_url.rsplit('/', 1)[1]}]")
    expect(link).to_have_class("chatlink chatlink-muted", timeout=LIVE)
    # On another chat's page, with the tab hidden: a message in the muted chat counts as unread
    # but shows no notification; one in the other chat does.
    b.goto(other_url)
    b.evaluate(NOTIFICATIONS)
    b.wait_for_timeout(300)
    alices = api_for(live_server, alice)
    post_text(alices, group_url, "muted news")
    expect(link.locator("[data-unread]")).to_have_text("1 unread", timeout=LIVE)
    post_text(alices, other_url, "lunch at noon?")
    expect(texts(b)).to_contain_text(["lunch at noon?"], timeout=LIVE)
    b.wait_for_timeout(300)
    assert b.evaluate("window.__shown") == [["New message from alice", "lunch at noon?"]]
    # The choice is kept: the chat page shows it again after a reload.
    b.goto(group_url)
    expect(b.get_by_test_id("chat-notify")).to_have_value("none")
    no_problems(problems, b)
