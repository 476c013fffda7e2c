"""Times in real browsers: every page shows a moment in the reader's time zone and language,
from one helper (times.js), so the chat list, the conversation and search agree; relative near
now ("2 min. ago"), the full date and time on hover, and one clock (12- or 24-hour) per page.
"""

import re
import sqlite3
from datetime import UTC, datetime, timedelta

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
)

pytestmark = pytest.mark.browser

# The browsers' clock: an afternoon (UTC). A message of that morning is the same day in
# Shanghai (17:07, read at 20:30) and in New York (5:07 AM, read at 8:30 AM).
NOW = datetime(2027, 6, 15, 12, 30, tzinfo=UTC)
THIS_MORNING = datetime(2027, 6, 15, 9, 7, tzinfo=UTC)

READERS = {
    "zh": {"locale": "zh-CN", "timezone_id": "Asia/Shanghai"},
    "en": {"locale": "en-US", "timezone_id": "America/New_York"},
}
CLOCK = {"zh": "17:07", "en": "5:07 AM"}
TWO_MINUTES_AGO = {"zh": "2分钟前", "en": "2 min. ago"}
YESTERDAY = {"zh": "昨天", "en": "yesterday"}
THREE_MINUTES_AGO = {"zh": "3分钟前", "en": "3 min. ago"}

TWELVE_HOUR = re.compile(r"\b(AM|PM)\b|上午|下午|凌晨|中午|晚上")
A_CLOCK = re.compile(r"\d:\d\d")


def sent_at(tmp_path, msg_id, when):
    """Move a stored message to another moment: the database of the test's server, written
    directly (no API sends a message in the past)."""
    with sqlite3.connect(tmp_path / "instance" / "chatapp.db") as db:
        changed = db.execute("UPDATE messages SET create_time = ? WHERE msg_id = ?",
                             (when.timestamp(), msg_id)).rowcount
    assert changed == 1


def time_of(page, locator):
    """The text and the hover title of a <time> element, once times.js has filled it in (its
    spaces made plain: ICU puts a narrow one before AM)."""
    expect(locator).to_have_attribute("title", re.compile(r"\d{4}"))
    return " ".join(locator.text_content().split()), locator.get_attribute("title")


def clocks(page):
    """The visible times of the page that show a time of day."""
    shown = page.locator("time").evaluate_all(
        "list => list.filter(t => t.getClientRects().length).map(t => t.textContent)")
    return [text for text in shown if A_CLOCK.search(text)]


@pytest.mark.parametrize("reader", list(READERS))
def test_the_chat_list_and_the_conversation_agree_on_a_messages_time(
        new_context, live_server, tmp_path, alice, bob, make_user, reader, screenshot):
    carol = make_user("carol")
    chat_url = private_chat(live_server, alice, bob)
    team_url = group_chat(live_server, alice, bob, name="Team")
    old_url = group_chat(live_server, alice, carol, name="Yesterday's")
    from_bob = api_for(live_server, bob)
    morning = post_text(from_bob, chat_url, "Morning!")
    sent_at(tmp_path, morning["msg_id"], THIS_MORNING)
    recent = post_text(from_bob, team_url, "Stand-up in five")
    sent_at(tmp_path, recent["msg_id"], NOW - timedelta(minutes=2, seconds=10))
    older = post_text(api_for(live_server, carol), old_url, "See you tomorrow")
    sent_at(tmp_path, older["msg_id"], NOW - timedelta(days=1))

    problems = []
    browser = Browser(new_context, alice, problems, **READERS[reader])
    browser.context.clock.install(time=NOW)
    chat_list = browser.tab("/chats")
    row = chat_list.get_by_test_id(f"chat-{chat_id_of(chat_url)}").locator("time")
    listed, listed_title = time_of(chat_list, row)
    assert listed == CLOCK[reader]  # the reader's zone and clock, not the server's UTC

    # Relative near now, and the day before by name; the full moment on hover.
    team = chat_list.get_by_test_id(f"chat-{chat_id_of(team_url)}").locator("time")
    expect(team).to_have_text(TWO_MINUTES_AGO[reader])
    expect(chat_list.get_by_test_id(f"chat-{chat_id_of(old_url)}").locator("time")).to_have_text(
        YESTERDAY[reader])
    assert "2027" in listed_title and "UTC" not in listed_title

    page = browser.tab(chat_url)
    shown, shown_title = time_of(page, page.locator(f"#m{morning['msg_id']} .msg-meta time"))
    assert (shown, shown_title) == (listed, listed_title)

    # Search finds it at the same time.
    search = browser.tab("/search?q=Morning")
    assert time_of(search, search.get_by_test_id(f"hit-{morning['msg_id']}").locator("time")) \
        == (listed, listed_title)

    # One clock per page: a 12-hour reader never sees a 24-hour time, nor the other way.
    for each in (chat_list, page, search):
        seen = clocks(each)
        assert seen, each.url
        twelve = [bool(TWELVE_HOUR.search(text)) for text in seen]
        assert all(twelve) if reader == "en" else not any(twelve), seen

    screenshot(chat_list, f"times-chat-list-{reader}-light")
    screenshot(page, f"times-chat-{reader}-light")
    chat_list.emulate_media(color_scheme="dark")
    screenshot(chat_list, f"times-chat-list-{reader}-dark")

    # Relative times move on while the page stays open ...
    chat_list.clock.run_for("01:00")
    expect(team).to_have_text(THREE_MINUTES_AGO[reader])
    # ... and a live refresh of the list shows its new times the same way, not the server's.
    post_text(from_bob, team_url, "Starting now")
    expect(team).not_to_have_text(THREE_MINUTES_AGO[reader], timeout=LIVE)
    expect(team).not_to_have_attribute("title", re.compile("UTC"))
    expect(chat_list.get_by_test_id(f"chat-{chat_id_of(team_url)}")).to_contain_text(
        "Starting now")
    no_problems(problems, chat_list, page, search)


def test_times_on_the_other_pages_are_the_readers_too(new_context, live_server, alice, bob):
    """Friend requests and the profile: the same helper, so no UTC is left on any page."""
    asked = api_for(live_server, alice).post("/api/friend-requests", json={"user_id": bob.user_id})
    assert asked.status_code == 201, asked.text
    problems = []
    browser = Browser(new_context, alice, problems, **READERS["zh"])
    friends = browser.tab("/friends")
    sent = friends.get_by_test_id("outgoing-bob")
    expect(sent).to_contain_text("刚刚发送")  # "sent just now"
    expect(sent.locator("time")).to_have_attribute("title", re.compile(r"^\d{4}年"))
    profile = browser.context.new_page()
    profile.goto("/profile")
    for each in profile.locator("dl.facts time").all():
        expect(each).to_have_attribute("title", re.compile(r"^\d{4}年"))
        expect(each).not_to_have_text(re.compile("UTC"))
    assert "UTC" not in friends.locator("main").inner_text()
    no_problems(problems, friends)
