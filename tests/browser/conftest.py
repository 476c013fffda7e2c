"""Fixtures for end-to-end tests: the real server process, Chromium, and people on that server.

``live_server`` starts ``python wsgi.py`` on an empty instance folder for each test (about a
second) and yields its base URL. ``browser`` is one headless Chromium per run; each test opens
its own contexts (separate cookie jars, like separate browsers).
"""


import pytest

from tests.browser.support import CHROMIUM, chromium_available
from tests.helpers import PASSWORD, require
from tests.live_server import REPO_ROOT, HttpApi, LiveServer

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"


@pytest.fixture(autouse=True)
def _chromium_present():
    """Every browser test needs Chromium: skipped without it, failed in CI."""
    require(chromium_available(), f"chromium missing at {CHROMIUM}")


@pytest.fixture
def live_server(tmp_path):
    """Start the production entry point on an empty instance folder; yield its base URL."""
    server = LiveServer(tmp_path / "instance", log_path=tmp_path / "server.log")
    server.start()
    try:
        yield server.url
    finally:
        server.stop()
        # pytest shows a fixture's teardown output only for tests that failed.
        print(f"--- server log ({server.log_path}) ---\n{server.log_tail()}")


@pytest.fixture(scope="session")
def browser():
    """One headless Debian Chromium for the run (no downloaded browsers: there is no network)."""
    require(chromium_available(), f"chromium missing at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require(False, "playwright (python package) missing")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_context(browser, live_server):
    """Open a fresh browser context (its own cookies) on the live server; closed at the end."""
    contexts = []

    def make(**options):
        options.setdefault("base_url", live_server)
        options.setdefault("viewport", {"width": 1280, "height": 800})
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context):
    return new_context().new_page()


@pytest.fixture
def screenshot():
    """Save a full-page screenshot to test-artifacts/screenshots/<name>.png for people to see."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name):
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def make_user(live_server):
    """Register a user on the live server through the JSON API."""

    def make(user_name, password=PASSWORD, email=None):
        return HttpApi(live_server).register(user_name, password, email)

    return make


@pytest.fixture
def alice(make_user):
    return make_user("alice", email="alice@example.com")


@pytest.fixture
def bob(make_user):
    return make_user("bob")
