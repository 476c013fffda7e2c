"""Mentions in real browsers: "@" suggests the chat's members, the person mentioned sees it
highlighted, a muted chat still notifies them of a mention, and the search page lists their
mentions."""

import pytest

from tests.browser.support import (
    LIVE,
    Browser,
    expect,
    group_chat,
    no_problems,
    settled,
    texts,
)
from tests.browser.test_pins_and_notify_browser import NOTIFICATIONS

pytestmark = pytest.mark.browser


def test_a_mention_is_suggested_highlighted_and_notifies_even_when_muted(
        new_context, live_server, alice, bob, make_user, screenshot):
    carol = make_user("carol")
    group_url = group_chat(live_server, alice, bob, carol, name="Ops")
    problems = []
    a = Browser(new_context, alice, problems).tab(group_url)
    b = Browser(new_context, bob, problems).tab(group_url)
    b.get_by_test_id("chat-notify").select_option("none")  # muted
    expect(b.get_by_test_id("chat-notify")).to_have_value("none")
    b.evaluate(NOTIFICATIONS)

    box = a.get_by_label("Message", exact=True)
    box.press_sequentially("Ask @b")
    options = a.get_by_role("listbox", name="People to mention").get_by_role("option")
    expect(options).to_have_text(["@bob"])
    screenshot(a, "mention-suggestions")
    box.press("Enter")  # picks bob, does not send
    expect(box).to_have_value("Ask @bob ")
    box.press_sequentially("and @")
    expect(options).to_have_text(["@bob", "@carol", "@everyone"])
    box.press("ArrowDown")
    box.press("Tab")
    box.press_sequentially("about the deploy")
    box.press("Enter")
    settled(a)
    expect(texts(b)).to_have_text(["Ask @bob and @carol about the deploy"], timeout=LIVE)
    chip = b.locator(".mention-me")
    expect(chip).to_have_text("@bob")
    expect(b.locator("li.msg-mentions-me")).to_have_count(1)
    b.wait_for_timeout(300)
    assert b.evaluate("window.__shown") == [
        ["New message from alice", "Ask @bob and @carol about the deploy"]]

    # bob's mentions, on the search page.
    b.goto("/search")
    b.get_by_label("Only mentions of me").check()
    b.get_by_role("button", name="Search", exact=True).click()
    expect(b.get_by_role("heading", name="Messages that mention you")).to_be_visible()
    expect(b.get_by_test_id("search-results").locator("li")).to_have_count(1)
    no_problems(problems, a, b)
