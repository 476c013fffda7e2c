"""Edit, reply and react in two browsers, live; and a browser that was offline meanwhile shows
the same as one that never dropped, pins included (issue 17)."""

import pytest

from tests.browser.support import (
    LIVE,
    Browser,
    api_for,
    chat_id_of,
    composer,
    expect,
    group_chat,
    message,
    no_problems,
    own_message,
    post_text,
    settled,
    texts,
    write,
)

pytestmark = pytest.mark.browser


def test_edit_reply_and_react_show_live_in_the_other_browser(new_context, live_server, alice,
                                                           bob, make_user, screenshot):
    carol = make_user("carol")
    group_url = group_chat(live_server, alice, bob, carol, name="Ops")
    problems = []
    a = Browser(new_context, alice, problems).tab(group_url)
    b = Browser(new_context, bob, problems).tab(group_url)
    write(a, "Deploy at nine")
    settled(a)
    expect(texts(b)).to_have_text(["Deploy at nine"], timeout=LIVE)

    # alice edits: the composer takes the text, a bar says so, Enter saves.
    composer(a).fill("half-written draft")
    own_message(a, "Deploy at nine").hover()
    own_message(a, "Deploy at nine").get_by_role("button", name="Edit").click()
    expect(a.get_by_test_id("composer-context")).to_contain_text("Editing your message")
    expect(composer(a)).to_have_value("Deploy at nine")
    expect(composer(a)).to_be_focused()
    composer(a).fill("Deploy at ten")
    composer(a).press("Enter")
    expect(texts(b)).to_have_text(["Deploy at ten"], timeout=LIVE)
    expect(a.get_by_test_id("composer-context")).to_be_hidden()
    expect(composer(a)).to_have_value("half-written draft")  # the draft comes back
    edited = message(b, "Deploy at ten").get_by_role("button", name="edited")
    expect(edited).to_be_visible()
    edited.click()
    versions = b.locator("[data-versions-pop] .version-text")
    expect(versions).to_have_text(["Deploy at nine", "Deploy at ten"])
    screenshot(b, "message-edited-versions")

    # bob replies: the quote names alice and starts her text.
    message(b, "Deploy at ten").hover()
    message(b, "Deploy at ten").get_by_role("button", name="Reply").click()
    expect(b.get_by_test_id("composer-context")).to_contain_text("Replying to alice")
    write(b, "I'll watch the logs")
    settled(b)
    quote = message(a, "I'll watch the logs").locator(".quote")
    expect(quote).to_contain_text("alice", timeout=LIVE)
    expect(quote).to_contain_text("Deploy at ten")
    quote.click()
    expect(message(a, "Deploy at ten")).to_have_class("msg msg-mine msg-highlight")

    # bob reacts from the picker; alice adds the same, then takes hers back.
    message(b, "Deploy at ten").hover()
    message(b, "Deploy at ten").get_by_role("button", name="React").click()
    b.locator("[data-reaction-picker] [data-emoji='🎉']").click()
    chip = message(a, "Deploy at ten").locator(".reaction[data-emoji='🎉']")
    expect(chip).to_have_text("🎉1", timeout=LIVE)
    expect(chip).to_have_attribute("aria-pressed", "false")
    expect(chip).to_have_attribute("title", "🎉 from bob")
    chip.click()
    bobs_chip = message(b, "Deploy at ten").locator(".reaction[data-emoji='🎉']")
    expect(bobs_chip).to_have_text("🎉2", timeout=LIVE)
    expect(chip).to_have_attribute("aria-pressed", "true")
    screenshot(a, "message-reactions")
    chip.click()
    expect(bobs_chip).to_have_text("🎉1", timeout=LIVE)
    no_problems(problems, a, b)


def test_escape_ends_an_edit_and_a_reply_without_sending(new_context, live_server, alice, bob,
                                                        make_user):
    carol = make_user("carol")
    group_url = group_chat(live_server, alice, bob, carol, name="Ops")
    post_text(api_for(live_server, bob), group_url, "Lunch?")
    problems = []
    a = Browser(new_context, alice, problems).tab(group_url)
    write(a, "Yes")
    settled(a)
    own_message(a, "Yes").hover()
    own_message(a, "Yes").get_by_role("button", name="Edit").click()
    composer(a).fill("No")
    composer(a).press("Escape")
    expect(a.get_by_test_id("composer-context")).to_be_hidden()
    expect(composer(a)).to_have_value("")
    message(a, "Lunch?").hover()
    message(a, "Lunch?").get_by_role("button", name="Reply").click()
    composer(a).press("Escape")
    expect(a.get_by_test_id("composer-context")).to_be_hidden()
    a.wait_for_timeout(300)
    expect(texts(a)).to_have_text(["Lunch?", "Yes"])
    expect(a.locator(".quote")).to_have_count(0)
    no_problems(problems, a)


def test_a_reply_to_an_old_message_opens_it_in_its_history(new_context, live_server, alice,
                                                           bob, make_user):
    carol = make_user("carol")
    group_url = group_chat(live_server, alice, bob, carol, name="Ops")
    bobs = api_for(live_server, bob)
    original = post_text(bobs, group_url, "The root password is in the vault")
    for i in range(110):  # more than the first page holds
        post_text(bobs, group_url, f"filler {i}")
    chat_id = chat_id_of(group_url)
    reply = api_for(live_server, alice).post(f"/api/chats/{chat_id}/messages", json={
        "text": "Which vault?", "client_msg_id": "old-reply",
        "reply_to": original["msg_id"]})
    assert reply.status_code == 201, reply.text
    problems = []
    a = Browser(new_context, alice, problems).tab(group_url)
    expect(message(a, "The root password is in the vault")).to_have_count(0)
    own_message(a, "Which vault?").locator(".quote").click()
    target = message(a, "The root password is in the vault")
    expect(target).to_have_class("msg msg-highlight")
    expect(target).to_be_in_viewport()
    no_problems(problems, a)


def test_after_a_reconnect_edits_reactions_and_recalls_match_a_browser_that_stayed(
        new_context, live_server, alice, bob, make_user):
    carol = make_user("carol")
    group_url = group_chat(live_server, alice, bob, carol, name="Ops")
    problems = []
    a = Browser(new_context, alice, problems).tab(group_url)
    bob_browser = Browser(new_context, bob, problems)
    b = bob_browser.tab(group_url)
    c = Browser(new_context, carol, problems).tab(group_url)
    for text in ("first plan", "second plan", "third plan"):
        write(a, text)
    settled(a)
    expect(texts(b)).to_have_count(3, timeout=LIVE)

    with bob_browser.offline():
        bob_browser.wait_for_failed_reconnection(b)
        own_message(a, "first plan").hover()
        own_message(a, "first plan").get_by_role("button", name="Edit").click()
        composer(a).fill("first plan, revised")
        composer(a).press("Enter")
        message(c, "second plan").hover()
        message(c, "second plan").get_by_role("button", name="React").click()
        c.locator("[data-reaction-picker] [data-emoji='👍']").click()
        own_message(a, "second plan").hover()
        own_message(a, "second plan").get_by_role("button", name="Pin").click()
        own_message(a, "third plan").hover()
        own_message(a, "third plan").get_by_role("button", name="Recall").click()
        a.get_by_role("dialog").get_by_role("button", name="Recall").click()
        expect(texts(c)).to_have_text(["first plan, revised", "second plan", "Message recalled"],
                                      timeout=LIVE)
        expect(message(c, "second plan").locator(".reaction")).to_have_text("👍1")
        expect(texts(b)).to_have_text(["first plan", "second plan", "third plan"])

    # Back online, bob's tab asks for what changed while away and shows what carol's shows.
    expect(texts(b)).to_have_text(["first plan, revised", "second plan", "Message recalled"],
                                  timeout=LIVE)
    expect(message(b, "second plan").locator(".reaction")).to_have_text("👍1")
    expect(message(b, "second plan").locator(".pinned-mark")).to_be_visible()
    expect(message(b, "first plan, revised").get_by_role("button", name="edited")).to_be_visible()
    shown = "list => list.innerText"
    assert b.get_by_test_id("messages").evaluate(shown) == c.get_by_test_id(
        "messages").evaluate(shown)
    no_problems(problems, a, b, c)
