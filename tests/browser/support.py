"""Helpers shared by the browser tests."""

from contextlib import contextmanager

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
