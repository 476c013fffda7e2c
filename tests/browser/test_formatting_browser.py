"""Formatting in two browsers: bold, code, code blocks and links drawn as elements, the same
while sending, plain in previews and quotes, the source as typed when editing; and hostile
text that stays text (issue 17)."""

import pytest

from chatapp.formatting import plain_text
from tests.browser.support import (
    LIVE,
    Browser,
    expect,
    messages,
    no_problems,
    own_message,
    private_chat,
    settled,
    texts,
    write,
)

pytestmark = pytest.mark.browser

SHIP = "**ship** it, see `make deploy` and [the runbook](https://example.com/runbook)"
PLAIN = "ship it, see make deploy and the runbook"
BLOCK = "Steps:\n```sh\nmake deploy\n  make check\n```\n_then_ tell me"

HOSTILE = [
    "**<img src=x onerror=alert(1)>**",
    "[x](javascript:alert(1))",
    "[x](data:text/html,<script>alert(1)</script>)",
    "`<b>`",
    "```\n<script>window.__xss=1</script>\n```",
    "**a *b** c* `d **e` _f <svg onload=alert(2)>",
    "*" * 600,
]


def bubble(page, text):
    return page.locator("li.msg", has=page.locator(".msg-text", has_text=text))


def watch_dialogs(page, dialogs):
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))


def test_formatting_shows_in_both_browsers(new_context, live_server, alice, bob, screenshot):
    chat_url = private_chat(live_server, alice, bob)
    problems = []
    alice_browser = Browser(new_context, alice, problems)
    a = alice_browser.tab(chat_url)
    b = Browser(new_context, bob, problems).tab(chat_url)

    # While it is on its way, the message already looks as it will.
    with alice_browser.offline():
        write(a, SHIP)
        sending = a.locator("li.msg-pending .msg-text")
        expect(sending.locator("strong")).to_have_text("ship")
        expect(sending.locator("code")).to_have_text("make deploy")
        expect(sending).to_have_text(PLAIN)
    settled(a)

    shown = bubble(b, "ship it").locator(".msg-text")
    expect(shown).to_have_text(PLAIN, timeout=LIVE)
    expect(shown.locator("strong")).to_have_text("ship")
    expect(shown.locator("code.msg-code")).to_have_text("make deploy")
    link = shown.get_by_role("link", name="the runbook")
    expect(link).to_have_attribute("href", "https://example.com/runbook")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    expect(link).to_have_attribute("target", "_blank")
    # Previews read the plain text: the sidebar's last message, the screen-reader line.
    expect(b.locator("[data-sidebar] .chatlink-meta")).to_have_text(PLAIN, timeout=LIVE)
    expect(b.get_by_test_id("announcer")).to_have_text(f"alice: {PLAIN}")

    write(a, BLOCK)
    block = bubble(b, "Steps:").locator(".msg-text")
    expect(block.locator("pre.msg-pre code")).to_have_text("make deploy\n  make check",
                                                           timeout=LIVE)
    expect(block.locator("em")).to_have_text("then")
    assert block.evaluate("e => e.closest('.bubble') !== null && !!e.querySelector('pre')")
    assert "```" not in block.inner_text() and "sh\n" not in block.inner_text()
    screenshot(b, "message-formatting")

    # A reply quotes the plain text; editing shows the source as typed.
    bubble(b, "ship it").hover()
    bubble(b, "ship it").get_by_role("button", name="Reply").click()
    write(b, "on it")
    settled(b)
    expect(bubble(a, "on it").locator(".quote-text")).to_have_text(PLAIN, timeout=LIVE)
    own_message(a, "ship it").hover()
    own_message(a, "ship it").get_by_role("button", name="Edit").click()
    expect(a.get_by_label("Message", exact=True)).to_have_value(SHIP)
    a.get_by_label("Message", exact=True).press("Escape")

    b.reload()  # drawn again from the page's JSON: the same
    expect(bubble(b, "ship it").locator(".msg-text strong")).to_have_text("ship")
    expect(bubble(b, "Steps:").locator("pre")).to_have_count(1)
    no_problems(problems, a, b)


def test_hostile_formatting_stays_text(new_context, live_server, alice, bob):
    chat_url = private_chat(live_server, alice, bob)
    problems, dialogs = [], []
    a = Browser(new_context, alice, problems).tab(chat_url)
    b = Browser(new_context, bob, problems).tab(chat_url)
    watch_dialogs(a, dialogs)
    watch_dialogs(b, dialogs)
    for text in HOSTILE:
        write(b, text)
    settled(b)
    expected = [plain_text(text) for text in HOSTILE]
    expect(texts(a)).to_have_text(expected, timeout=LIVE)
    a.reload()
    watch_dialogs(a, dialogs)
    expect(texts(a)).to_have_text(expected)
    for page in (a, b):
        assert page.evaluate("window.__xss") is None
        assert messages(page).locator("img:not(.avatar), script, svg, iframe, b").count() == 0
        assert messages(page).locator(".msg-text a").count() == 0  # no link: no http(s)
        expect(messages(page).locator(".msg-text code")).to_have_text(
            ["<b>", "<script>window.__xss=1</script>", "d **e"])
        expect(messages(page).locator(".msg-text strong")).to_have_text(
            ["<img src=x onerror=alert(1)>", "a *b"])
    assert dialogs == []
    no_problems(problems, a, b)
