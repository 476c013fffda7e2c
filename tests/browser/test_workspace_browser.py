"""One window: the chats beside the conversation on a desktop. Changing chats reloads nothing,
the address follows (back and forward work), nothing that arrives meanwhile is lost, drafts and
scroll positions come back; at a phone's width the list and the conversation are two screens.
"""

import re

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
    texts,
    too_wide,
    write,
)

pytestmark = pytest.mark.browser


def sidebar(page):
    return page.get_by_test_id("sidebar-list")


def sidebar_link(page, url):
    return sidebar(page).get_by_test_id(f"chat-{chat_id_of(url)}")


def test_changing_chats_in_one_window_loses_nothing(new_context, live_server, alice, bob,
                                                     make_user, screenshot):
    carol = make_user("carol")
    pair_url = private_chat(live_server, alice, bob)
    team_url = group_chat(live_server, alice, bob, carol, name="Team")
    from_bob, from_carol = api_for(live_server, bob), api_for(live_server, carol)
    post_text(from_bob, pair_url, "lunch?")
    problems = []
    page = Browser(new_context, alice, problems, viewport={"width": 1280, "height": 800}).tab(
        pair_url)
    page.evaluate("window.__sameDocument = true")  # gone if the page ever reloads
    expect(sidebar(page)).to_be_visible()
    expect(sidebar_link(page, pair_url)).to_have_attribute("aria-current", "page")

    # A message arrives in the other chat: its row in the list counts it, live.
    post_text(from_carol, team_url, "standup moved to 10")
    expect(sidebar_link(page, team_url).locator("[data-unread]")).to_have_text(
        re.compile(r"^1"), timeout=LIVE)
    write(page, "a draft I keep")
    page.get_by_label("Message", exact=True).fill("half a thought")  # not sent

    sidebar_link(page, team_url).click()
    expect(page).to_have_url(live_server + team_url)
    expect(page.get_by_test_id("chat-name")).to_have_text("Team")
    expect(texts(page)).to_have_text(["standup moved to 10"], timeout=LIVE)
    expect(sidebar_link(page, team_url)).to_have_attribute("aria-current", "page")
    expect(sidebar_link(page, team_url).locator("[data-unread]")).to_be_hidden(timeout=LIVE)
    # The new conversation is live: its messages come, and it sends.
    post_text(from_bob, team_url, "room 4")
    expect(texts(page)).to_have_text(["standup moved to 10", "room 4"], timeout=LIVE)
    write(page, "on my way")
    expect(texts(page)).to_have_text(["standup moved to 10", "room 4", "on my way"],
                                     timeout=LIVE)
    # Meanwhile the first chat gets a message: counted in the list, not shown here.
    post_text(from_bob, pair_url, "still hungry")
    expect(sidebar_link(page, pair_url).locator("[data-unread]")).to_have_text(
        re.compile(r"^1"), timeout=LIVE)
    expect(page.get_by_test_id("messages").get_by_text("still hungry")).to_have_count(0)
    expect(sidebar_link(page, pair_url)).to_contain_text("still hungry")  # its last message
    screenshot(page, "workspace-light")
    page.emulate_media(color_scheme="dark")
    screenshot(page, "workspace-dark")

    # Back: the first chat, with what came while away and the unsent draft.
    page.go_back()
    expect(page).to_have_url(live_server + pair_url)
    expect(texts(page)).to_have_text(["lunch?", "a draft I keep", "still hungry"],
                                     timeout=LIVE)
    expect(page.get_by_label("Message", exact=True)).to_have_value("half a thought")
    page.go_forward()
    expect(page).to_have_url(live_server + team_url)
    expect(texts(page)).to_have_text(["standup moved to 10", "room 4", "on my way"],
                                     timeout=LIVE)
    assert page.evaluate("window.__sameDocument === true"), "the page was reloaded"

    # The filter narrows the list.
    page.get_by_placeholder("Find a chat").fill("tea")
    expect(sidebar_link(page, pair_url)).to_be_hidden()
    expect(sidebar_link(page, team_url)).to_be_visible()
    no_problems(problems, page)


def test_a_phone_shows_the_list_and_the_conversation_as_two_screens(new_context, live_server,
                                                                    alice, bob, screenshot):
    pair_url = private_chat(live_server, alice, bob)
    problems = []
    browser = Browser(new_context, alice, problems, viewport={"width": 390, "height": 800},
                      has_touch=True, is_mobile=True)
    chat = browser.tab(pair_url)
    expect(sidebar(chat)).to_be_hidden()
    assert too_wide(chat, "main") == []
    chat.get_by_role("link", name="All chats").click()
    expect(chat).to_have_url(live_server + "/chats")
    expect(chat.get_by_test_id("chat-list")).to_be_visible()
    screenshot(chat, "workspace-phone-list")
    no_problems(problems, chat)


def test_the_window_in_chinese(new_context, live_server, alice, bob, screenshot):
    pair_url = private_chat(live_server, alice, bob)
    post_text(api_for(live_server, bob), pair_url, "你好")
    problems = []
    page = Browser(new_context, alice, problems, locale="zh-CN",
                   viewport={"width": 1280, "height": 800}).tab(pair_url)
    expect(page.get_by_role("heading", name="聊天")).to_be_visible()
    expect(page.get_by_placeholder("查找聊天")).to_be_visible()
    screenshot(page, "workspace-zh-light")
    page.emulate_media(color_scheme="dark")
    screenshot(page, "workspace-zh-dark")
    no_problems(problems, page)
