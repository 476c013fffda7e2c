"""The web client for everyone: in Chinese, with the unread count in the tab title, desktop
notifications while the tab is hidden, every action from the keyboard, and text that meets
WCAG AA contrast in light and dark.
"""

import os
import re
import uuid
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from tests.browser.support import (
    LIVE,
    Browser,
    api_for,
    chat_id_of,
    chromium_available,
    expect,
    group_chat,
    messages,
    no_problems,
    own_message,
    post_text,
    private_chat,
    settled,
    texts,
    wait_live,
    write,
)
from tests.helpers import require

pytestmark = pytest.mark.browser

CHATAPP = Path(__file__).resolve().parents[2] / "chatapp"
CATALOGS = CHATAPP / "translations"
PO = CATALOGS / "zh" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
# What the chat page needs from the Chinese catalog (its template and its scripts).
CHAT_PAGE_MESSAGES = ["Message %(name)s", "Send", "Recall", "%(count)s unread",
                      "%(actor)s created the group “%(name)s”", "Enable notifications"]


@pytest.fixture(autouse=True, scope="module")
def _chromium_and_catalog():
    """Chromium, and the compiled Chinese catalog the server process reads (a fresh clone has
    only the .po; `make install` compiles it)."""
    require(chromium_available(), "chromium missing")
    if PO.exists() and (not MO.exists() or MO.stat().st_mtime < PO.stat().st_mtime):
        with PO.open("rb") as f:
            catalog = read_po(f)
        partial = MO.with_suffix(f".mo.{os.getpid()}")
        with partial.open("wb") as f:
            write_mo(f, catalog)
        os.replace(partial, MO)


def chinese_catalog_ready() -> bool:
    if not PO.exists():
        return False
    with PO.open("rb") as f:
        catalog = read_po(f)
    return all(catalog.get(m) is not None and catalog.get(m).string for m in CHAT_PAGE_MESSAGES)


def hide(page):
    """What the browser does when another tab comes to the front: the page is hidden."""
    page.evaluate("""() => {
        const own = value => ({configurable: true, get: () => value});
        Object.defineProperty(document, 'visibilityState', own('hidden'));
        Object.defineProperty(document, 'hidden', own(true));
        document.dispatchEvent(new Event('visibilitychange'));
    }""")


def show(page):
    page.evaluate("""() => {
        delete document.visibilityState;  // the own properties above; the real getters again
        delete document.hidden;
        document.dispatchEvent(new Event('visibilitychange'));
    }""")


# Contrast of each visible element's text against what is behind it (WCAG 2 relative
# luminance; backgrounds with alpha are composited; opacity fades the text).
CONTRAST = """selectors => {
    const parse = c => {
        const m = /rgba?\\(([^)]+)\\)/.exec(c || '');
        if (!m) return null;
        const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
        return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1};
    };
    const over = (top, below) => ({
        r: top.r * top.a + below.r * (1 - top.a), g: top.g * top.a + below.g * (1 - top.a),
        b: top.b * top.a + below.b * (1 - top.a), a: 1});
    const lum = c => {
        const f = v => (v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
        return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
    };
    const behind = el => {
        const layers = [];
        for (let e = el; e; e = e.parentElement) {
            const c = parse(getComputedStyle(e).backgroundColor);
            if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
        }
        let bg = {r: 255, g: 255, b: 255, a: 1};
        for (let i = layers.length - 1; i >= 0; i--) bg = over(layers[i], bg);
        return bg;
    };
    const fade = el => {
        let o = 1;
        for (let e = el; e; e = e.parentElement) o *= Number(getComputedStyle(e).opacity);
        return o;
    };
    const out = [];
    for (const [selector, pseudo] of selectors) {
        for (const el of document.querySelectorAll(selector)) {
            const box = el.getBoundingClientRect();
            if (!box.width || !box.height || getComputedStyle(el).visibility === 'hidden') continue;
            const text = pseudo ? el.placeholder : el.innerText.trim();
            if (!text) continue;
            const bg = behind(el);
            const color = parse(getComputedStyle(el, pseudo || null).color);
            const fg = over({...color, a: color.a * fade(el)}, bg);
            const [hi, lo] = [lum(fg), lum(bg)].sort((x, y) => y - x);
            out.push({selector: selector + (pseudo || ''), text: text.slice(0, 30),
                      ratio: Math.round((hi + 0.05) / (lo + 0.05) * 100) / 100});
        }
    }
    return out;
}"""

# Muted text, badges, receipts, notices and markers: the small text most likely to be faint.
CHAT_PAGE_TEXT = [
    [".chat-title .muted", None], [".msg-meta", None], [".msg-foot time", None],
    [".receipt", None], [".notice span", None], [".notice time", None],
    [".day-divider span", None], [".new-marker span", None], [".typing-line", None],
    [".history-status", None], [".live-status", None], [".notify-toggle", None],
    [".navlink", None], [".group-badge", None], ["[data-composer-text]", "::placeholder"],
    [".composer-send", None], [".msg-text", None],
]
LIST_PAGE_TEXT = [
    [".chatlink-meta", None], [".chatlink-time", None], [".unread", None], [".hint", None],
    [".navlink", None], [".navlink[aria-current=page]", None], [".live-status", None],
]


def low_contrast(page, selectors):
    measured = page.evaluate(CONTRAST, selectors)
    assert measured, "nothing was measured"
    return [m for m in measured if m["ratio"] < 4.5]


# --- Chinese --------------------------------------------------------------------------------


def test_pages_and_scripts_speak_chinese(new_context, live_server, alice, bob, screenshot):
    if not chinese_catalog_ready():
        pytest.xfail("the Chinese catalog (chatapp/translations/zh) lacks the chat page's "
                     "messages: run `make translations` and translate them")
    problems = []
    guest = new_context(locale="zh-CN").new_page()  # Accept-Language: zh-CN
    guest.goto("/login")
    expect(guest.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(guest.get_by_role("button", name="登录")).to_be_visible()

    chat_url = group_chat(live_server, alice, bob, name="Team")
    post_text(api_for(live_server, bob), chat_url, "早上好")
    chinese = Browser(new_context, alice, problems, locale="zh-CN")
    chat_list = chinese.tab("/chats")
    expect(chat_list.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(chat_list.get_by_role("heading", name="聊天", exact=True)).to_be_visible()
    expect(chat_list.get_by_test_id(f"chat-{chat_id_of(chat_url)}")).to_contain_text(
        "bob：早上好")
    expect(chat_list.get_by_test_id("live-status")).to_have_text("已连接")
    expect(chat_list).to_have_title("(1) 聊天 · chatapp")

    page = chinese.tab(chat_url)
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    composer = page.get_by_label("消息", exact=True)
    expect(composer).to_have_attribute("placeholder", "发消息给 Team")
    expect(page.get_by_role("button", name="发送")).to_be_visible()
    expect(page.get_by_role("button", name="添加附件")).to_be_visible()
    expect(page.locator(".chat-title .muted")).to_have_text("2 位成员 · 你是群主")
    # Drawn by the scripts: notices from the names they record, dates, receipts, actions.
    expect(messages(page).locator(".notice span")).to_have_text(
        ["alice 创建了群聊“Team”", "alice 邀请 bob 加入了群聊"])
    expect(page.locator(".day-divider")).to_have_text("今天")
    assert "年" in page.locator(".msg time").first.get_attribute("title")  # 2026年11月21日…
    composer.fill("大家好")
    composer.press("Enter")
    settled(page)
    mine = own_message(page, "大家好")
    expect(mine.locator(".receipt")).to_have_text("1 人未读")
    expect(mine.get_by_role("button", name="撤回")).to_have_count(1)

    bob_page = Browser(new_context, bob, problems).tab(chat_url)  # bob reads in English
    expect(mine.locator(".receipt")).to_have_text("全部已读", timeout=LIVE)
    mine.locator(".receipt").click()
    expect(page.locator(".receipts-pop")).to_have_text("已读：bob")
    bob_page.get_by_label("Message", exact=True).press_sequentially("ok")
    expect(page.locator(".typing-line")).to_have_text("bob 正在输入…", timeout=LIVE)
    expect(bob_page.locator(".notice span").first).to_have_text("alice created the group “Team”")

    screenshot(page, "web-client-chat-zh-light")
    page.emulate_media(color_scheme="dark")
    screenshot(page, "web-client-chat-zh-dark")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "web-client-chat-zh-dark-narrow")
    no_problems(problems, chat_list, page, bob_page)


# --- the tab title ------------------------------------------------------------------------


def test_the_tab_title_counts_unread_messages_live(new_context, live_server, alice, bob):
    chat_url = private_chat(live_server, alice, bob)
    problems = []
    alice_browser = Browser(new_context, alice, problems)
    chat_list = alice_browser.tab("/chats")
    expect(chat_list).to_have_title("Chats · chatapp")
    from_alice, from_bob = api_for(live_server, alice), api_for(live_server, bob)

    post_text(from_bob, chat_url, "Are you coming?")
    expect(chat_list).to_have_title("(1) Chats · chatapp", timeout=LIVE)
    post_text(from_bob, chat_url, "We are starting")
    expect(chat_list).to_have_title("(2) Chats · chatapp", timeout=LIVE)

    # Opening the chat reads them: the list's title follows.
    page = alice_browser.tab(chat_url)
    expect(page).to_have_title("bob · chatapp")
    expect(chat_list).to_have_title("Chats · chatapp", timeout=LIVE)

    # On the chat page: what arrives while the tab is hidden, until it is shown again.
    hide(page)
    post_text(from_bob, chat_url, "Hello?")
    expect(page).to_have_title("(1) bob · chatapp", timeout=LIVE)
    post_text(from_bob, chat_url, "Anyone?")
    expect(page).to_have_title("(2) bob · chatapp", timeout=LIVE)
    expect(chat_list).to_have_title("(2) Chats · chatapp", timeout=LIVE)
    show(page)
    expect(page).to_have_title("bob · chatapp")
    expect(chat_list).to_have_title("Chats · chatapp", timeout=LIVE)  # and they were read

    # ... and while reading further up, until back at the newest.
    for n in range(30):
        post_text(from_alice, chat_url, f"Minutes, item {n}")
    expect(texts(page)).to_have_count(34, timeout=LIVE)
    page.locator("[data-timeline]").evaluate("t => t.scrollTop = 0")
    # The scroll event comes a frame later: send once the page shows it knows (the jump
    # button), as it would for a person who scrolled up before the message came.
    expect(page.get_by_test_id("jump-latest")).to_be_visible()
    post_text(from_bob, chat_url, "Down here")
    expect(page).to_have_title("(1) bob · chatapp", timeout=LIVE)
    jump = page.get_by_role("button", name="1 new message")
    expect(jump).to_be_visible()
    jump.click()
    expect(page).to_have_title("bob · chatapp")
    no_problems(problems, chat_list, page)


# --- desktop notifications --------------------------------------------------------------------

# Records notifications instead of showing them; the permission is the browser's real one
# (granted with context.grant_permissions), unless a test sets window.__permission.
NOTIFICATION_STUB = """(() => {
    const Real = window.Notification;
    const shown = [];
    class Recorded {
        constructor(title, options = {}) {
            this.title = title;
            this.body = options.body;
            this.tag = options.tag;
            this.closed = false;
            shown.push(this);
        }
        close() { this.closed = true; }
        static get permission() {
            return window.__permission || (Real ? Real.permission : 'default');
        }
        static requestPermission() {
            window.__asked = (window.__asked || 0) + 1;
            window.__permission = 'granted';
            return Promise.resolve('granted');
        }
    }
    window.Notification = Recorded;
    window.__shown = shown;
})();"""



def notifications(page, at_least):
    """What the notifications shown said, once there are ``at_least`` (or LIVE ms passed)."""
    return page.evaluate("""([count, wait]) => new Promise(resolve => {
        const until = Date.now() + wait;
        const check = () => window.__shown.length >= count || Date.now() > until
            ? resolve(window.__shown.map(n => ({title: n.title, body: n.body})))
            : setTimeout(check, 50);
        check();
    })""", [at_least, LIVE])


def test_desktop_notifications_while_the_tab_is_hidden(new_context, live_server, alice, bob):
    chat_url = private_chat(live_server, alice, bob)
    group_url = group_chat(live_server, alice, bob, name="Ops")
    problems = []
    alice_browser = Browser(new_context, alice, problems)
    alice_browser.context.grant_permissions(["notifications"])
    alice_browser.context.add_init_script(NOTIFICATION_STUB)
    bob_browser = Browser(new_context, bob, problems)
    chat_list = alice_browser.tab("/chats")
    other_tab = alice_browser.tab(chat_url)
    b = bob_browser.tab(chat_url)
    # Already allowed: no button to ask.
    expect(chat_list.get_by_test_id("enable-notifications")).to_have_count(0)

    write(b, "Visible tab: no notification")
    expect(texts(other_tab)).to_have_count(1, timeout=LIVE)
    hide(chat_list)
    write(b, "Lunch at 12?")
    assert notifications(chat_list, 1) == [
        {"title": "New message from bob", "body": "Lunch at 12?"}]

    # Not for one's own messages (from another tab), nor for notices of the chat.
    write(other_tab, "Sure, see you there")
    settled(other_tab)
    renamed = api_for(live_server, alice).request(
        "PATCH", f"/api/chats/{chat_id_of(group_url)}", json={"chat_name": "Ops team"})
    assert renamed.status_code == 200, renamed.text
    # A file says its name.
    upload = api_for(live_server, bob).post(
        f"/api/chats/{chat_id_of(group_url)}/files", data={"client_msg_id": str(uuid.uuid4())},
        files={"file": ("runbook.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")})
    assert upload.status_code == 201, upload.text
    expect(chat_list.get_by_test_id(f"chat-{chat_id_of(group_url)}")).to_contain_text(
        "runbook.pdf", timeout=LIVE)  # after the rename's notice and alice's own message
    assert notifications(chat_list, 2) == [
        {"title": "New message from bob", "body": "Lunch at 12?"},
        {"title": "New message from bob", "body": "runbook.pdf"}]

    # A click brings the tab forward on that chat.
    chat_list.evaluate("window.__shown[1].onclick()")
    expect(chat_list).to_have_url(re.compile(rf"/chats/{chat_id_of(group_url)}$"))
    wait_live(chat_list)
    no_problems(problems, other_tab, b, chat_list)


def test_notifications_are_enabled_with_a_labelled_button(new_context, live_server, alice):
    problems = []
    browser = Browser(new_context, alice, problems)
    browser.context.add_init_script(NOTIFICATION_STUB)
    browser.context.add_init_script("window.__permission = 'default';")
    page = browser.tab("/chats")
    button = page.get_by_role("button", name="Enable notifications")
    expect(button).to_be_visible()
    button.focus()
    page.keyboard.press("Enter")
    expect(button).to_have_count(0)
    assert page.evaluate("window.__asked") == 1
    no_problems(problems, page)


# --- the keyboard -------------------------------------------------------------------------------


def tab_until(page, matches: str, key="Tab", limit=60):
    """Press ``key`` until the focused element matches the selector ``matches``; the path."""
    path = []
    for _ in range(limit):
        page.keyboard.press(key)
        here = page.evaluate("""() => {
            const e = document.activeElement;
            const classes = typeof e.className === 'string' ? e.className.split(' ') : [];
            return [e.tagName.toLowerCase() + (e.id ? '#' + e.id : ''), ...classes].join('.');
        }""")
        path.append(here)
        if page.evaluate("m => document.activeElement.matches(m)", matches):
            return path
    raise AssertionError(f"{matches} never got the focus: {path}")


UNNAMED_CONTROLS = """() => [...document.querySelectorAll(
        'a[href], button, input:not([type=hidden]), textarea, select, [tabindex]')]
    .filter(e => !e.closest('[aria-hidden=true]'))
    .filter(e => {
        const labels = e.labels ? [...e.labels].map(l => l.textContent).join('') : '';
        const name = e.getAttribute('aria-label') || labels || e.textContent || e.title
            || e.getAttribute('alt') || (e.querySelector('img[alt]') || {}).alt || '';
        return !name.trim();
    })
    .map(e => e.outerHTML.slice(0, 120))"""


def test_the_chat_page_works_from_the_keyboard(new_context, live_server, alice, bob):
    group_url = group_chat(live_server, alice, bob, name="Keys")
    problems = []
    page = Browser(new_context, alice, problems).tab(group_url)
    assert page.evaluate(UNNAMED_CONTROLS) == []

    # From the top of the page, Tab reaches the composer; Enter sends.
    page.evaluate("document.activeElement && document.activeElement.blur()")
    path = tab_until(page, "[data-composer-text]")
    assert any(p.startswith("button") and "composer-attach" in p for p in path)
    page.keyboard.type("Typed without a mouse")
    page.keyboard.press("Enter")
    settled(page)
    expect(texts(page)).to_have_text(["Typed without a mouse"])
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Send")).to_be_focused()

    # Back from the composer: the receipts of the message, opened with Enter, closed with Escape.
    page.get_by_label("Message", exact=True).focus()
    tab_until(page, "[data-receipts]", key="Shift+Tab")
    page.keyboard.press("Enter")
    pop = page.locator(".receipts-pop")
    expect(pop).to_contain_text("Nobody has read it yet.")
    expect(pop).to_contain_text("1 member has not read it yet.")
    receipts = page.locator("[data-receipts]")
    expect(receipts).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("Escape")
    expect(pop).to_have_count(0)
    expect(receipts).to_have_attribute("aria-expanded", "false")
    expect(receipts).to_be_focused()

    # The recall button (by the bubble, so just before the receipts) is a real button,
    # visible while it has the focus; Enter asks, from Cancel; Tab, Enter recalls.
    page.keyboard.press("Shift+Tab")
    recall = page.locator("[data-recall]")
    expect(recall).to_be_focused()
    expect(page.locator(".msg-actions")).to_have_css("opacity", "1")  # it fades in
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog").get_by_role("button", name="Cancel")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(texts(page)).to_have_text(["Message recalled"], timeout=LIVE)
    expect(page.locator("[data-timeline]")).to_be_focused()  # not lost to the page
    no_problems(problems, page)


# --- contrast ------------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_small_text_meets_wcag_aa_contrast(new_context, live_server, alice, bob, scheme):
    chat_url = group_chat(live_server, alice, bob, name="Contrast")
    problems = []
    alice_browser = Browser(new_context, alice, problems, color_scheme=scheme)
    post_text(api_for(live_server, bob), chat_url, "Unread, for the badge")
    chat_list = alice_browser.tab("/chats")
    expect(chat_list.locator(".unread")).to_have_count(1)
    assert low_contrast(chat_list, LIST_PAGE_TEXT) == []

    page = alice_browser.tab(chat_url)
    write(page, "Mine, for the receipt")
    settled(page)
    bob_page = Browser(new_context, bob, problems).tab(chat_url)
    bob_page.get_by_label("Message", exact=True).press_sequentially("typing")
    expect(page.locator(".typing-line")).not_to_be_empty(timeout=LIVE)
    page.get_by_label("Message", exact=True).focus()
    assert low_contrast(page, CHAT_PAGE_TEXT) == []
    recall = page.locator(".msg-mine .recall")
    recall.focus()
    expect(page.locator(".msg-mine .msg-actions")).to_have_css("opacity", "1")  # it fades in
    assert low_contrast(page, [[".recall:focus", None]]) == []
    no_problems(problems, chat_list, page, bob_page)


# --- flashed messages and live refreshes ------------------------------------------------------


def test_a_live_refresh_leaves_flashed_messages_for_the_next_page(new_context, live_server,
                                                                   alice):
    problems = []
    browser = Browser(new_context, alice, problems)
    chat_list = browser.tab("/chats")
    refreshes = []
    chat_list.on("request", lambda r: r.method == "GET" and r.url.endswith("/chats")
                 and refreshes.append(r.headers.get("x-live-refresh")))

    # Another tab's form made a group; its "created" waits in the session for that tab's next
    # page. The event reaches the open list first, which refreshes itself...
    token = chat_list.locator("meta[name=csrf-token]").get_attribute("content")
    created = browser.context.request.post("/chats", max_redirects=0, form={
        "csrf_token": token, "chat_name": "Flash mob"})
    assert created.status == 302, created.text()
    expect(chat_list.get_by_test_id("chat-list")).to_contain_text("Flash mob", timeout=LIVE)
    assert refreshes and set(refreshes) == {"1"}
    expect(chat_list.locator(".flash")).to_have_count(0)

    # ... and leaves the message to the page it was meant for.
    page = browser.tab(created.headers["location"])
    expect(page.locator(".flash")).to_have_text("Group “Flash mob” created.")
    no_problems(problems, chat_list, page)
