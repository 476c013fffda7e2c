"""Forward in two browsers: alice sends a copy of a group message to her private chat with
bob, who sees it live as "Forwarded from ..."; the dialog works from the keyboard (issue 17)."""

import pytest

from tests.browser.support import (
    LIVE,
    Browser,
    api_for,
    chat_id_of,
    expect,
    group_chat,
    message,
    no_problems,
    post_text,
    private_chat,
    settled,
    texts,
    write,
)

pytestmark = pytest.mark.browser


def test_a_forwarded_message_shows_live_in_the_other_chat(new_context, live_server, alice, bob,
                                                          make_user, screenshot):
    carol = make_user("carol")
    pair_url = private_chat(live_server, alice, bob)
    group_url = group_chat(live_server, alice, bob, carol, name="Ops")
    post_text(api_for(live_server, carol), group_url, "The release is on Friday")
    problems = []
    a = Browser(new_context, alice, problems).tab(group_url)
    b = Browser(new_context, bob, problems).tab(pair_url)
    write(b, "Any news?")
    settled(b)

    original = message(a, "The release is on Friday")
    original.hover()
    original.get_by_role("button", name="Forward").click()
    dialog = a.get_by_role("dialog", name="Forward to…")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("carol: The release is on Friday")
    chats = dialog.locator("[data-forward-to]")
    expect(chats).to_have_text(["bob"])  # her other chats: not the one she is in
    screenshot(a, "forward-dialog")
    chats.first.click()

    expect(dialog).to_be_hidden()
    expect(a.get_by_test_id("forward-status")).to_have_text("Forwarded to bob.")
    expect(a.get_by_test_id("announcer")).to_have_text("Forwarded to bob.")
    assert a.url.endswith(group_url)  # she stays where she was
    expect(texts(a)).to_have_text(["The release is on Friday"])

    copy = message(b, "The release is on Friday")
    expect(copy).to_be_visible(timeout=LIVE)
    expect(copy.locator(".forwarded")).to_have_text("Forwarded from carol")
    expect(copy.locator(".msg-meta strong")).to_have_text("alice")
    expect(texts(b)).to_have_text(["Any news?", "The release is on Friday"])
    screenshot(b, "forwarded-message")
    expect(original.locator(".forwarded")).to_have_count(0)  # the original names nobody
    no_problems(problems, a, b)


def test_the_forward_dialog_works_from_the_keyboard(new_context, live_server, alice, bob,
                                                    make_user):
    carol = make_user("carol")
    pair_url = private_chat(live_server, alice, bob)
    group_url = group_chat(live_server, alice, bob, carol, name="Ops")
    group_chat(live_server, alice, carol, name="Archive")  # the filter leaves it out
    post_text(api_for(live_server, carol), group_url, "Lunch at noon")
    problems = []
    a = Browser(new_context, alice, problems).tab(group_url)
    forward = message(a, "Lunch at noon").get_by_role("button", name="Forward")
    forward.focus()
    a.keyboard.press("Enter")
    dialog = a.get_by_role("dialog", name="Forward to…")
    find = dialog.get_by_label("Find a chat")
    expect(find).to_be_focused()
    expect(dialog.locator("[data-forward-to]")).to_have_count(2)
    a.keyboard.type("bob")
    expect(dialog.locator("[data-forward-to]")).to_have_text(["bob"])
    a.keyboard.press("ArrowDown")
    expect(dialog.get_by_role("button", name="bob")).to_be_focused()
    a.keyboard.press("ArrowUp")
    expect(find).to_be_focused()
    # Escape closes it, sends nothing, and gives the focus back to the button.
    a.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(forward).to_be_focused()
    pair = chat_id_of(pair_url)
    bob_api = api_for(live_server, bob)
    assert bob_api.get(f"/api/chats/{pair}/messages").json()["messages"] == []

    # Again: Enter in the field takes the first chat it shows.
    a.keyboard.press("Enter")
    expect(find).to_be_focused()
    expect(find).to_have_value("")
    a.keyboard.type("BOB")
    expect(dialog.locator("[data-forward-to]")).to_have_text(["bob"])
    a.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(a.get_by_test_id("forward-status")).to_have_text("Forwarded to bob.")
    expect(forward).to_be_focused()
    copies = bob_api.get(f"/api/chats/{pair}/messages").json()["messages"]
    assert [(m["msg_text"], m["forwarded_from"]["user_name"]) for m in copies] == [
        ("Lunch at noon", "carol")]
    no_problems(problems, a)
