"""Accounts in a real browser against the real server: what a person does, click by click."""

import re

import pytest
from PIL import Image

from tests.browser.support import chromium_available, expect
from tests.helpers import PASSWORD, require
from tests.live_server import Person

pytestmark = pytest.mark.browser

NEW_PASSWORD = "a much better passphrase"


@pytest.fixture(autouse=True, scope="module")
def _chromium_present():
    # Checked before anything starts: skipped on a developer machine, a failure in CI.
    require(chromium_available(), "chromium missing")


def log_in(page, person, password=None, remember=False):
    page.goto("/login")
    page.get_by_label("User name").fill(person.user_name)
    page.get_by_label("Password", exact=True).fill(password or person.password)
    if remember:
        page.get_by_label("Keep me logged in").check()
    page.get_by_role("button", name="Log in").click()


def flash(page):
    return page.locator(".flashes")


def avatar_png(tmp_path):
    """A 400x300 photo-like PNG: the server must square it to 256x256."""
    path = tmp_path / "me.png"
    image = Image.new("RGB", (400, 300), (30, 120, 200))
    image.paste((250, 200, 40), (150, 100, 250, 200))
    image.save(path, format="PNG")
    return path


def test_register_avatar_password_logout_and_login_again(page, live_server, tmp_path,
                                                         screenshot):
    base = live_server
    page.goto("/register")
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    screenshot(page, "register")

    page.get_by_label("User name").fill("alice")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()

    expect(page).to_have_url(base + "/")
    expect(page.get_by_role("heading", name="Hello, alice")).to_be_visible()
    expect(flash(page)).to_contain_text("Welcome to chatapp, alice!")
    expect(page.get_by_test_id("me-name")).to_have_text("alice")
    screenshot(page, "home")

    # Profile: upload an avatar through the file input.
    page.get_by_role("link", name="Edit your profile").click()
    expect(page).to_have_url(base + "/profile")
    avatar = page.get_by_test_id("profile-avatar")
    default_src = avatar.get_attribute("src")
    page.get_by_label("Avatar image").set_input_files(avatar_png(tmp_path))
    page.get_by_role("button", name="Upload").click()
    expect(page).to_have_url(base + "/profile")
    expect(flash(page)).to_contain_text("Avatar updated.")
    expect(avatar).not_to_have_attribute("src", default_src)
    page.wait_for_function(
        "el => el.complete && el.naturalWidth > 0", arg=avatar.element_handle()
    )
    size = avatar.evaluate("el => [el.naturalWidth, el.naturalHeight]")
    assert size == [256, 256]
    served = page.request.get(avatar.get_attribute("src"))
    assert served.status == 200
    assert served.headers["content-type"] == "image/png"
    assert served.body()[:8] == b"\x89PNG\r\n\x1a\n"
    # The top bar shows the new avatar too.
    expect(page.locator(".topbar img.avatar")).to_have_attribute("src", avatar.get_attribute("src"))
    expect(page.get_by_role("button", name="Remove avatar")).to_be_visible()
    screenshot(page, "profile")

    # Change the password; this session stays logged in.
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Repeat new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page).to_have_url(base + "/profile")
    expect(flash(page)).to_contain_text("Password changed")

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(base + "/login")
    expect(flash(page)).to_contain_text("You are logged out.")
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)
    screenshot(page, "login")

    # The old password no longer works; the message does not say which part was wrong.
    log_in(page, Person(0, "alice", PASSWORD))
    expect(flash(page)).to_contain_text("Wrong user name or password.")
    expect(page.get_by_role("heading", name="Welcome back")).to_be_visible()
    screenshot(page, "login-error")

    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Keep me logged in").check()
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(base + "/")
    expect(page.get_by_role("heading", name="Hello, alice")).to_be_visible()
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert "remember_token" in cookies, sorted(cookies)
    assert cookies["remember_token"]["httpOnly"]
    assert cookies["session"]["httpOnly"]


def test_logging_out_ends_the_session_in_every_browser(new_context, live_server, alice):
    laptop = new_context().new_page()
    phone = new_context().new_page()
    log_in(laptop, alice)
    log_in(phone, alice, remember=True)
    for page in (laptop, phone):
        expect(page.get_by_role("heading", name="Hello, alice")).to_be_visible()

    phone.goto("/friends")
    expect(phone.get_by_test_id("live-status")).to_have_attribute("data-state", "live")

    laptop.get_by_role("button", name="Log out").click()
    expect(laptop).to_have_url(live_server + "/login")

    # The phone's open page is told at once (its socket gets session_ended) and goes to log in,
    # without anyone reloading it.
    expect(phone).to_have_url(re.compile(re.escape(live_server) + r"/login\?next=(%2F|/)friends$"))
    expect(flash(phone)).to_contain_text("Log in to see that page.")
    # Neither the phone's session cookie nor its remember-me cookie lets it in any more.
    phone.goto("/")
    expect(phone).to_have_url(re.compile(re.escape(live_server) + r"/login"))


def test_account_pages_have_no_console_errors_or_csp_violations(new_context, live_server,
                                                                alice, screenshot):
    context = new_context()
    # Records Content-Security-Policy violations in the page (init scripts are exempt from CSP).
    context.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => {"
        " (window.__csp = window.__csp || []).push(e.violatedDirective + ' ' + e.blockedURI);"
        "});"
    )
    page = context.new_page()
    problems = []
    page.on("console", lambda msg: msg.type in ("error", "warning")
            and problems.append(f"console {msg.type}: {msg.text} ({msg.location})"))
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("requestfailed", lambda request: problems.append(
        f"request failed: {request.url} {request.failure}"))
    page.on("response", lambda response: response.status >= 400 and problems.append(
        f"HTTP {response.status}: {response.url}"))

    def visit(path, heading):
        if path != page.url.removeprefix(live_server):
            page.goto(path)
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
        page.wait_for_load_state("networkidle")
        violations = page.evaluate("window.__csp || []")
        problems.extend(f"CSP violation on {path}: {v}" for v in violations)
        # Every image on the page actually loaded.
        broken = page.evaluate(
            "[...document.images].filter(i => !i.complete || i.naturalWidth === 0)"
            ".map(i => i.src)"
        )
        problems.extend(f"broken image on {path}: {src}" for src in broken)
        # The stylesheet loaded and has rules (a blocked or missing CSS has none).
        sheets = page.evaluate(
            "[...document.styleSheets].map(s => { try { return s.cssRules.length }"
            " catch (e) { return -1 } })"
        )
        if not sheets or min(sheets) <= 0:
            problems.append(f"stylesheet missing on {path}: rule counts {sheets}")

    visit("/login", "Welcome back")
    visit("/register", "Create your account")
    log_in(page, alice)  # lands on the home page, which is checked where it is
    expect(page).to_have_url(live_server + "/")
    visit("/", "Hello, alice")
    visit("/profile", "Your profile")
    assert problems == []

    # For people to look at: the profile on a phone, and in dark mode.
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "profile-narrow")
    page.emulate_media(color_scheme="dark")
    screenshot(page, "profile-narrow-dark")
    assert problems == []


def test_a_site_admin_disables_and_deletes_an_account_from_the_admin_pages(new_context,
                                                                           live_server,
                                                                           alice, bob,
                                                                           screenshot):
    admin = new_context().new_page()
    log_in(admin, alice)  # the server's first account: its administrator
    victim = new_context().new_page()
    log_in(victim, bob)
    expect(victim.get_by_role("link", name="Admin")).to_have_count(0)
    victim.goto("/admin/")
    expect(victim.locator("[data-error-code=not_found]")).to_have_count(1)
    victim.goto("/friends")
    expect(victim.get_by_test_id("live-status")).to_have_attribute("data-state", "live")

    admin.get_by_role("link", name="Admin").click()
    expect(admin.get_by_test_id("fig-users")).to_contain_text("2 active, 0 disabled")
    screenshot(admin, "admin-figures")
    admin.get_by_role("link", name="Accounts").click()
    admin.get_by_placeholder("Name or email").fill("bo")
    admin.get_by_role("button", name="Search").click()
    admin.get_by_test_id("admin-user-bob").get_by_role("link", name="bob").click()
    admin.get_by_test_id("admin-disable").click()
    expect(flash(admin)).to_contain_text("bob is disabled")
    # bob's open page is sent to the log-in page without a reload.
    expect(victim).to_have_url(re.compile(re.escape(live_server) + r"/login"))

    admin.get_by_label("Type the user name to confirm").fill("bob")
    admin.get_by_test_id("admin-delete").click()
    expect(flash(admin)).to_contain_text("bob's account was deleted")
    expect(admin.get_by_test_id("admin-user-bob")).to_have_count(0)
    screenshot(admin, "admin-accounts")


def test_a_person_deletes_their_own_account_from_the_profile(page, live_server, alice):
    log_in(page, alice)
    page.goto("/profile")
    page.get_by_label("Your password").fill("not my password")
    page.get_by_test_id("delete-account").click()
    expect(page.locator("#password-errors, .errors")).to_contain_text("password is wrong")
    page.get_by_label("Your password").fill(alice.password)
    page.get_by_test_id("delete-account").click()
    expect(page).to_have_url(live_server + "/login")
    expect(flash(page)).to_contain_text("Your account was deleted.")
    log_in(page, alice)
    expect(page.locator("body")).to_contain_text("Wrong user name or password")
