"""Searching from the top bar in a real browser: hits from one's own chats only, marked, and a
click on a hit opens the chat at that message."""

import re
import sqlite3
import uuid
from datetime import UTC, datetime

import pytest

from tests.browser.support import CSP_RECORDER, expect
from tests.live_server import HttpApi

pytestmark = pytest.mark.browser

class Client:
    """One person speaking the JSON API to the live server."""

    def __init__(self, live_server, person):
        self.http = HttpApi(live_server).login(person)

    def post(self, path, **kwargs):
        response = self.http.post(path, **kwargs)
        assert response.status_code in (200, 201), response.text
        return response.json()

    def send(self, chat_id, text):
        return self.post(f"/api/chats/{chat_id}/messages",
                         json={"text": text, "client_msg_id": str(uuid.uuid4())})["message"]

    def send_file(self, chat_id, name, content):
        return self.post(f"/api/chats/{chat_id}/files",
                         files={"file": (name, content, "application/octet-stream")},
                         data={"client_msg_id": str(uuid.uuid4())})["message"]


@pytest.fixture
def conversations(live_server, make_user, alice, bob):
    """alice and bob are friends with a group; mallory has a group of her own."""
    mallory = make_user("mallory")
    a, b, m = (Client(live_server, p) for p in (alice, bob, mallory))
    request_id = a.post("/api/friend-requests", json={"user_id": bob.user_id})["request"][
        "request_id"]
    b.post(f"/api/friend-requests/{request_id}/accept")
    group = a.post("/api/chats", json={"chat_name": "Launch team",
                                       "member_ids": [bob.user_id]})["chat"]["chat_id"]
    secret_group = m.post("/api/chats", json={"chat_name": "Mallory's den"})["chat"]["chat_id"]
    return {
        "group": group,
        "home": a.send(group, "我家在上海东边"),
        "deploy": b.send(group, "明天的 deploy"),
        "report": b.send_file(group, "季度报告.pdf", b"%PDF-1.4 quarterly numbers"),
        "secret": m.send(secret_group, "上海 secret"),
    }


def log_in(page, person):
    page.goto("/login")
    page.get_by_label("User name").fill(person.user_name)
    page.get_by_label("Password", exact=True).fill(person.password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name=f"Hello, {person.user_name}")).to_be_visible()


def search_from_top_bar(page, query):
    box = page.get_by_role("search", name="Message search").get_by_label("Search messages")
    box.fill(query)
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q="))
    expect(page.get_by_role("heading", name="Search messages")).to_be_visible()


def test_search_from_the_top_bar_and_jump_to_the_message(new_context, conversations, alice,
                                                        screenshot):
    problems = []
    context = new_context()
    context.add_init_script(CSP_RECORDER)
    page = context.new_page()
    page.on("console", lambda msg: msg.type == "error" and problems.append(msg.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    log_in(page, alice)
    results = page.get_by_test_id("search-results")
    hits = results.get_by_role("listitem")

    # 上海: alice's own message with the match marked; mallory's chat never shows.
    search_from_top_bar(page, "上海")
    expect(page.get_by_label("Words to find")).to_have_value("上海")
    expect(hits).to_have_count(1)
    home = page.get_by_test_id(f"hit-{conversations['home']['msg_id']}")
    expect(home).to_contain_text("我家在上海东边")
    expect(home).to_contain_text("in Launch team")
    expect(home.locator("mark")).to_have_text("上海")
    expect(page.get_by_text("secret")).to_have_count(0)
    expect(page.get_by_text("Mallory's den")).to_have_count(0)
    screenshot(page, "search-results")
    page.emulate_media(color_scheme="dark")
    screenshot(page, "search-results-dark")
    page.emulate_media(color_scheme="light")

    # A word, then part of a file's Chinese name.
    search_from_top_bar(page, "deploy")
    expect(hits).to_have_count(1)
    expect(results).to_contain_text("明天的 deploy")
    expect(results.locator("mark")).to_have_text("deploy")
    search_from_top_bar(page, "季度")
    expect(hits).to_have_count(1)
    report = page.get_by_test_id(f"hit-{conversations['report']['msg_id']}")
    expect(report).to_contain_text("File")
    expect(report).to_contain_text("季度报告.pdf")
    expect(report.locator("mark")).to_have_text("季度")

    # The filters narrow the search: nothing of kind "image" is called 季度.
    page.get_by_label("Kind").select_option("image")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_test_id("search-empty")).to_contain_text("with these filters")
    page.get_by_label("Kind").select_option("")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(hits).to_have_count(1)

    # The search pages ran clean (the chat page's own scripts are the chat tests' concern).
    assert page.evaluate("window.__csp || []") == []
    assert problems == []

    # A click on a hit opens the chat around that message. (The chat page's script then
    # rewrites the address to /chats/<id>, so the request is what shows where the link went.)
    search_from_top_bar(page, "上海")
    msg_id = conversations["home"]["msg_id"]
    around = f"/chats/{conversations['group']}?around={msg_id}#m{msg_id}"
    expect(home).to_have_attribute("href", around)
    with page.expect_request(re.compile(r"/chats/\d+\?around=")) as opened:
        home.click()
    assert opened.value.url.endswith(around.split("#")[0])
    expect(page.get_by_test_id("chat-name")).to_have_text("Launch team")
    expect(page.get_by_test_id("messages").get_by_text("我家在上海东边")).to_be_visible()


def test_bad_dates_are_explained_on_the_page(new_context, conversations, alice, screenshot):
    page = new_context().new_page()
    log_in(page, alice)
    response = page.goto("/search?q=deploy&from=2026-02-31")
    assert response.status == 400
    expect(page.get_by_role("alert")).to_have_text("Dates are YYYY-MM-DD.")
    expect(page.get_by_label("From date")).to_have_attribute("aria-invalid", "true")
    screenshot(page, "search-error")


@pytest.mark.parametrize("width", [390, 360])
def test_the_top_bar_search_fits_a_phone(new_context, conversations, alice, screenshot, width):
    page = new_context(viewport={"width": width, "height": 800}).new_page()
    log_in(page, alice)
    for path in ("/", "/friends?q=b", "/search?q=上海"):
        page.goto(path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} is {overflow}px wider than a {width}px phone"
    box = page.get_by_label("Search messages")
    box.click()  # a magnifier on phones, as wide as the bar while typing
    box.fill("deploy")
    assert box.bounding_box()["width"] > width - 60
    screenshot(page, f"search-typing-phone-{width}")
    box.press("Enter")
    expect(page.get_by_test_id("search-results").get_by_role("listitem")).to_have_count(1)
    screenshot(page, f"search-results-phone-{width}")


def test_date_filters_are_days_of_the_readers_time_zone(new_context, conversations, alice,
                                                        tmp_path):
    # alice's 上海 message was sent at 17:30 UTC on 2 December: 01:30 on the 3rd in Shanghai.
    with sqlite3.connect(tmp_path / "instance" / "chatapp.db") as db:
        assert db.execute("UPDATE messages SET create_time = ? WHERE msg_id = ?", (
            datetime(2026, 12, 2, 17, 30, tzinfo=UTC).timestamp(),
            conversations["home"]["msg_id"])).rowcount == 1
    problems = []
    page = new_context(timezone_id="Asia/Shanghai").new_page()
    page.on("pageerror", lambda error: problems.append(str(error)))
    log_in(page, alice)
    search_from_top_bar(page, "上海")
    zone = page.locator("form[role=search] input[type=hidden][name=tz][data-time-zone]")
    expect(zone).to_have_value("Asia/Shanghai")
    results = page.get_by_test_id("search-results").get_by_role("listitem")

    def on_day(day):
        page.get_by_label("From date").fill(day)
        page.get_by_label("To date").fill(day)
        page.get_by_role("button", name="Search", exact=True).click()
        expect(page).to_have_url(re.compile(rf"from={day}.*tz=Asia%2FShanghai"))

    on_day("2026-12-02")  # the UTC day of the message is not its Shanghai day
    expect(page.get_by_test_id("search-empty")).to_contain_text("with these filters")
    on_day("2026-12-03")
    expect(results).to_have_count(1)
    expect(page.get_by_test_id(f"hit-{conversations['home']['msg_id']}")).to_contain_text(
        "我家在上海东边")
    expect(zone).to_have_value("Asia/Shanghai")
    assert problems == []
