"""Helpers shared by the browser tests: the browser of one person, people, friendships and
chats through the live server's JSON API, and what a page shows."""

import os
import uuid
from contextlib import contextmanager
from pathlib import Path

from tests.live_server import HttpApi

CHROMIUM = os.environ.get("CHATAPP_CHROMIUM", "/usr/bin/chromium")
LIVE = 5_000  # ms: how long a live update may take to show on the other side
# ms: how long a tab may take to reconnect. Socket.IO waits up to 5 s between two attempts.
RECONNECT = 15_000

# Records Content-Security-Policy violations (init scripts are exempt from the CSP).
CSP_RECORDER = (
    "document.addEventListener('securitypolicyviolation', e => {"
    " (window.__csp = window.__csp || []).push(e.violatedDirective + ' ' + e.blockedURI);"
    "});"
)

# What Chromium logs for a request its context's offline emulation refused, and the failure
# Playwright reports for that request. Nothing else produces it here: the server is local.
OFFLINE_FAILURE = "net::ERR_INTERNET_DISCONNECTED"
OFFLINE_CONSOLE_ERROR = f"Failed to load resource: {OFFLINE_FAILURE}"


def is_offline_failure(text: str) -> bool:
    """Whether a console error is Chromium's report of a request, or a WebSocket connection
    attempt (the client tries WebSocket first), that failed because the context is offline."""
    return text == OFFLINE_CONSOLE_ERROR or (
        text.startswith("WebSocket connection to ") and text.endswith(OFFLINE_FAILURE))


def expect(*args, **kwargs):
    """Playwright's expect, imported late so collecting the tests works without it."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(*args, **kwargs)


class ConsoleRecorder:
    """Console errors and uncaught errors of one browser context's pages, as ``problems``.

    ``problems`` is the test's list, which it asserts to be empty (or what it expects) at the
    end. While the context is deliberately offline (``offline()``), the console error for a
    request refused for that reason is expected: it goes to ``excused`` instead. Any other
    console error or page error, and that one outside the window, stays a problem.
    """

    def __init__(self, context, problems):
        self.context = context
        self.problems = problems
        self.excused = []
        self.offline_window = False

    def watch(self, page, name):
        """Record ``page``'s problems, each prefixed with ``name`` (e.g. "bob#1")."""
        page.on("console", lambda msg: self._console(name, msg))
        page.on("pageerror", lambda error: self.problems.append(f"{name} error: {error}"))

    def _console(self, name, msg):
        if msg.type != "error":
            return
        line = f"{name} console: {msg.text}"
        if self.offline_window and is_offline_failure(msg.text):
            self.excused.append(line)
        else:
            self.problems.append(line)

    @contextmanager
    def offline(self, back_online=None):
        """Take the context offline for the ``with`` block, then online again.

        The window of expected offline failures opens before the context goes offline and
        closes only after ``back_online()`` returns. It must wait until every page is past
        what failed (a chat page: until it is live again, which it cannot be before its failed
        reconnection attempts have been handled). Chromium logs a refused request a moment
        after the request fails, and that message must land inside the window. If the block
        raises, the context goes online again and the window closes without waiting.
        """
        self.offline_window = True
        self.context.set_offline(True)
        completed = False
        try:
            yield
            completed = True
        finally:
            self.context.set_offline(False)
            try:
                if completed and back_online is not None:
                    back_online()
            finally:
                self.offline_window = False


def chromium_available() -> bool:
    return Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)


# --- people, friendships and chats through the JSON API ------------------------------------


def api_for(live_server, person) -> HttpApi:
    return HttpApi(live_server).login(person)


def befriend(live_server, one, other):
    asked = api_for(live_server, one).post("/api/friend-requests", json={"user_id": other.user_id})
    assert asked.status_code == 201, asked.text
    request_id = asked.json()["request"]["request_id"]
    accepted = api_for(live_server, other).post(f"/api/friend-requests/{request_id}/accept")
    assert accepted.status_code == 200, accepted.text


def private_chat(live_server, one, other) -> str:
    befriend(live_server, one, other)
    response = api_for(live_server, one).post("/api/chats/private",
                                              json={"user_id": other.user_id})
    assert response.status_code == 201, response.text
    return response.json()["chat"]["url"]


def group_chat(live_server, owner, *people, name="Team") -> str:
    owner_api = api_for(live_server, owner)
    friends = {f["user_id"] for f in owner_api.get("/api/friends").json()["friends"]}
    for person in people:
        if person.user_id not in friends:
            befriend(live_server, owner, person)
    response = owner_api.post("/api/chats", json={
        "chat_name": name, "member_ids": [p.user_id for p in people]})
    assert response.status_code == 201, response.text
    return response.json()["chat"]["url"]


# --- browsers --------------------------------------------------------------------------------


class Browser:
    """One person's browser (a context: one cookie jar) with any number of tabs."""

    def __init__(self, new_context, person, problems, **options):
        self.person = person
        self.problems = problems
        self.context = new_context(**options)
        self.context.add_init_script(CSP_RECORDER)
        self.recorder = ConsoleRecorder(self.context, problems)
        token = self.context.request.get("/api/auth/csrf").json()["csrf_token"]
        response = self.context.request.post(
            "/api/auth/login", headers={"X-CSRFToken": token},
            data={"user_name": person.user_name, "password": person.password})
        assert response.status == 200, response.text()
        self.tabs = []

    def tab(self, path):
        """A new tab on ``path``, once its live connection is up."""
        page = self.context.new_page()
        self.recorder.watch(page, f"{self.person.user_name}#{len(self.tabs) + 1}")
        page.goto(path)
        wait_live(page)
        self.tabs.append(page)
        return page

    @contextmanager
    def offline(self):
        """This browser loses its connection for the ``with`` block.

        On entering, every tab says it is offline (its socket has noticed). On leaving, every
        tab is live again. Requests refused meanwhile are expected, and only those.
        """
        def back_online():
            for tab in self.tabs:
                wait_live(tab, timeout=RECONNECT)

        with self.recorder.offline(back_online):
            for tab in self.tabs:
                expect(tab.get_by_test_id("live-status")).to_have_attribute(
                    "data-state", "offline", timeout=LIVE)
            yield

    def wait_for_failed_reconnection(self, page):
        """While offline: wait until ``page`` has tried to reconnect, and failed."""
        page.wait_for_event(
            "requestfailed", timeout=RECONNECT,
            predicate=lambda request: "/socket.io/" in request.url
            and request.failure == OFFLINE_FAILURE)


def wait_live(page, timeout=None):
    expect(page.get_by_test_id("live-status")).to_have_attribute("data-state", "live",
                                                                 timeout=timeout)


def messages(page):
    return page.get_by_test_id("messages")


def message(page, text):
    """The message (sent or received) whose text contains ``text``."""
    return page.locator("li.msg", has=page.locator(".msg-text", has_text=text))


def composer(page):
    return page.get_by_label("Message", exact=True)


def texts(page):
    return page.locator("[data-testid=messages] .msg-text")


def write(page, text):
    """Type a message in the composer and press Enter."""
    box = page.get_by_label("Message", exact=True)
    box.fill(text)
    box.press("Enter")


def settled(page):
    """Every message of the tab is stored (none still sending)."""
    expect(page.locator(".msg-pending")).to_have_count(0, timeout=LIVE)


def too_wide(page, selector):
    """``selector`` and the elements in it that stick out of the window on the right."""
    return page.evaluate("""selector => [...document.querySelectorAll(
            `${selector}, ${selector} *`)]
        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
        .map(e => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`)
        """, selector)


def csp_violations(page):
    return page.evaluate("window.__csp || []")


def no_problems(problems, *pages):
    for page in pages:
        problems.extend(f"CSP: {v}" for v in csp_violations(page))
    assert problems == []


def own_message(page, text):
    return page.locator("li.msg-mine", has=page.locator(".msg-text", has_text=text))


LOADED = """img => img.complete ? img.naturalWidth : new Promise(resolve =>
    img.addEventListener('load', () => resolve(img.naturalWidth), {once: true}))"""


def chat_id_of(url: str) -> int:
    return int(url.rstrip("/").rsplit("/", 1)[1])


def post_text(api, chat_url, text):
    """Send a text through the JSON API (``api`` is someone's logged-in HttpApi)."""
    response = api.post(
        f"/api/chats/{chat_id_of(chat_url)}/messages",
        json={"text": text, "client_msg_id": str(uuid.uuid4())})
    assert response.status_code == 201, response.text
    return response.json()["message"]
