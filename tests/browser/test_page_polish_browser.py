"""Pages a new person meets, in real browsers: registration says every mistake at once,
search refuses a reversed date range, the 404 page reads as a sentence, controls never touch,
and the top bar stays put when the connection comes up. In English and Chinese, light and dark.
"""

import pytest

from tests.browser.support import CSP_RECORDER, Browser, expect, group_chat, no_problems, wait_live
from tests.helpers import PASSWORD, image_bytes

pytestmark = pytest.mark.browser

LOCALES = {"en": "en-US", "zh": "zh-CN"}

# Visible controls, hints and error lists of <main> whose boxes are closer than 4 px (or
# overlap), one not inside the other: what a person sees as touching.
TOUCHING = """() => {
    const GAP = 4;
    const shown = [...document.querySelectorAll(
        'main :is(button, input:not([type=hidden]), select, textarea, a.btn, .errors, .hint)')]
        .filter(e => e.getClientRects().length && getComputedStyle(e).visibility !== 'hidden');
    const name = e => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')} ` +
        `"${(e.textContent || e.name || '').trim().slice(0, 24)}"`;
    const out = [];
    shown.forEach((a, i) => shown.slice(i + 1).forEach(b => {
        if (a.contains(b) || b.contains(a)) return;
        const p = a.getBoundingClientRect(), q = b.getBoundingClientRect();
        const apart = Math.max(q.left - p.right, p.left - q.right,
                               q.top - p.bottom, p.top - q.bottom);
        if (apart < GAP) out.push(`${name(a)} / ${name(b)}: ${apart.toFixed(1)} px`);
    }));
    return out;
}"""


def touching(page):
    page.wait_for_load_state()  # the stylesheet too: without it every control touches
    return page.evaluate(TOUCHING)


def answered_with(problems, status):
    """Chromium logs a page that answers with an error status (a form to correct, a 404) as
    a console error: expected here, once."""
    logged = [p for p in problems if f"responded with a status of {status} " in p]
    assert logged, problems
    problems.remove(logged[0])


def guest(new_context, language, scheme="light"):
    context = new_context(locale=LOCALES[language], color_scheme=scheme)
    context.add_init_script(CSP_RECORDER)
    return context.new_page()


# --- registration ------------------------------------------------------------------------------


@pytest.mark.parametrize("language", list(LOCALES))
def test_registration_shows_every_mistake_at_once(new_context, live_server, alice, language,
                                                  screenshot):
    page = guest(new_context, language)
    page.goto("/register")
    page.locator("#user_name").fill("al")
    page.locator("#password").fill("short")
    page.locator("#confirm").fill("shorter")
    page.locator("#email").fill("alice@example")  # no dot after the @
    page.locator("main form button[type=submit]").click()

    expected = {
        "en": {"user_name": "A user name has 3 to 50 characters.",
               "password": "A password has at least 8 characters.",
               "confirm": "The passwords differ.",
               "email": "The part after the @-sign is not valid. It should have a period."},
        "zh": {"user_name": "用户名为 3 到 50 个字母或数字，中间可以使用 . _ -。",
               "password": "密码至少需要 8 个字符。",
               "confirm": "两次输入的密码不一致。",
               "email": "邮箱地址无效。"},
    }[language]
    for field, message in expected.items():
        expect(page.locator(f"#{field}-errors")).to_have_text(message)
        expect(page.locator(f"#{field}")).to_have_attribute("aria-invalid", "true")
    assert touching(page) == []
    screenshot(page, f"register-errors-{language}-light")
    page.emulate_media(color_scheme="dark")
    screenshot(page, f"register-errors-{language}-dark")

    # Fixing them all creates the account at once.
    page.locator("#user_name").fill("dave")
    for field in ("#password", "#confirm"):
        page.locator(field).fill(PASSWORD)
    page.locator("#email").fill("dave@example.com")
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_test_id("me-name")).to_have_text("dave")
    assert page.evaluate("window.__csp || []") == []


# --- search ------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", list(LOCALES))
def test_search_refuses_a_reversed_date_range(new_context, live_server, alice, bob, language,
                                              screenshot):
    group_chat(live_server, alice, bob, name="Launch")
    problems = []
    page = Browser(new_context, alice, problems, locale=LOCALES[language]).tab("/chats")
    page.goto("/search")
    page.locator("#search-q").fill("Launch")
    page.locator("#search-from").fill("2026-11-22")
    page.locator("#search-to").fill("2026-11-21")
    with page.expect_response(lambda r: "/search?" in r.url) as answer:
        page.locator("main form[role=search] button[type=submit]").click()
    assert answer.value.status == 400
    message = {"en": "The “from” date is after the “to” date.", "zh": "开始日期晚于结束日期。"}
    expect(page.get_by_role("alert")).to_have_text(message[language])
    for field in ("#search-from", "#search-to"):
        expect(page.locator(field)).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#results-h")).to_have_count(0)  # no "Nothing found"
    screenshot(page, f"search-reversed-dates-{language}-light")
    page.emulate_media(color_scheme="dark")
    screenshot(page, f"search-reversed-dates-{language}-dark")
    answered_with(problems, 400)
    no_problems(problems, page)


# --- the error page ----------------------------------------------------------------------------


@pytest.mark.parametrize("language", list(LOCALES))
def test_the_not_found_page_reads_as_a_sentence(new_context, live_server, alice, language,
                                                screenshot):
    problems = []
    page = Browser(new_context, alice, problems, locale=LOCALES[language]).tab("/chats")
    response = page.goto("/chats/987654")
    assert response.status == 404
    sentence = {"en": "Chat not found.", "zh": "未找到该聊天。"}[language]
    expect(page.get_by_role("heading", level=1)).to_have_text(sentence)
    # The stable code stays for programs, out of what people read.
    expect(page.locator("[data-error-code=chat_not_found]")).to_have_count(1)
    shown = page.locator("main").inner_text()
    assert "chat_not_found" not in shown and "Error code" not in shown and "错误代码" not in shown
    screenshot(page, f"not-found-{language}-light")
    page.emulate_media(color_scheme="dark")
    screenshot(page, f"not-found-{language}-dark")
    answered_with(problems, 404)
    no_problems(problems, page)


# --- spacing -----------------------------------------------------------------------------------


@pytest.mark.parametrize("width", [1280, 390])
def test_controls_keep_apart(new_context, live_server, alice, bob, make_user, width,
                             screenshot):
    carol = make_user("carol")  # no friends: the group form has a hint, no member list
    settings = group_chat(live_server, alice, bob, name="Team") + "/settings"
    viewport = {"viewport": {"width": width, "height": 900}}
    problems = []
    alice_page = Browser(new_context, alice, problems, **viewport).tab("/chats")
    carol_page = Browser(new_context, carol, problems, **viewport).tab("/chats")

    expect(carol_page.locator("main form .hint")).to_be_visible()
    assert touching(carol_page) == []
    screenshot(carol_page, f"spacing-new-group-{width}")

    alice_page.goto("/profile")
    alice_page.locator("#avatar").set_input_files(
        {"name": "me.png", "mimeType": "image/png", "buffer": image_bytes()})
    alice_page.locator("main form[enctype] button[type=submit]").click()
    expect(alice_page.get_by_role("button", name="Remove avatar")).to_be_visible()
    assert touching(alice_page) == []
    screenshot(alice_page, f"spacing-avatar-{width}")

    alice_page.goto(settings)
    alice_page.get_by_role("button", name="Dissolve group").click()  # the box is not ticked
    expect(alice_page.locator("#confirm-errors")).to_be_visible()
    assert touching(alice_page) == []
    screenshot(alice_page, f"spacing-dissolve-error-{width}")
    alice_page.emulate_media(color_scheme="dark")
    screenshot(alice_page, f"spacing-dissolve-error-{width}-dark")
    answered_with(problems, 400)
    no_problems(problems, alice_page, carol_page)


# --- the top bar -------------------------------------------------------------------------------

SOCKET_IO = "**/socket.io/**"

# Where each item of the top bar is, except the connection indicator itself.
TOP_BAR = """() => [...document.querySelectorAll(
        '.topbar > *, .topnav > *, .mainnav > *')]
    .filter(e => !e.matches('.live-status') && e.getClientRects().length)
    .map(e => {
        const box = e.getBoundingClientRect();
        return [e.className || e.tagName, Math.round(box.left * 10) / 10,
                Math.round(box.right * 10) / 10];
    })"""

# The indicator's width with each of its words (the words connection.js shows, from the catalog).
INDICATOR_WIDTHS = """() => {
    const status = document.querySelector('.live-status');
    const words = JSON.parse(document.getElementById('i18n-strings').textContent);
    const was = status.textContent;
    const widths = ['connecting', 'live', 'offline'].map(state => {
        status.textContent = words[state];
        return status.getBoundingClientRect().width;
    });
    status.textContent = was;
    return widths;
}"""


@pytest.mark.parametrize("language", list(LOCALES))
def test_the_top_bar_stays_put_when_the_connection_comes_up(new_context, live_server, alice,
                                                            language, screenshot):
    problems = []
    browser = Browser(new_context, alice, problems, locale=LOCALES[language])
    page = browser.context.new_page()
    browser.recorder.watch(page, "alice")
    # The connection waits (WebSocket first, long-polling as the fallback) ...
    sockets, polls = [], []
    page.route_web_socket(SOCKET_IO, lambda socket: sockets.append(socket))
    page.route(SOCKET_IO, lambda request: polls.append(request))
    page.goto("/chats")
    status = page.get_by_test_id("live-status")
    expect(status).to_have_attribute("data-state", "connecting")
    page.wait_for_timeout(300)  # still connecting a moment later
    expect(status).to_have_attribute("data-state", "connecting")
    connecting = page.evaluate(TOP_BAR)
    screenshot(page, f"top-bar-connecting-{language}")
    page.unroute(SOCKET_IO)  # ... then goes through
    for socket in sockets:
        socket.connect_to_server()
    for request in polls:
        request.continue_()
    wait_live(page)
    assert page.evaluate(TOP_BAR) == connecting
    widths = page.evaluate(INDICATOR_WIDTHS)
    assert max(widths) - min(widths) < 0.5, widths
    screenshot(page, f"top-bar-live-{language}")

    # A phone shows the dot alone: nothing to move there either.
    page.set_viewport_size({"width": 390, "height": 800})
    widths = page.evaluate(INDICATOR_WIDTHS)
    assert max(widths) - min(widths) < 0.5, widths
    no_problems(problems, page)

