"""Helpers shared by the browser tests."""

# Records Content-Security-Policy violations (init scripts are exempt from the CSP).
CSP_RECORDER = (
    "document.addEventListener('securitypolicyviolation', e => {"
    " (window.__csp = window.__csp || []).push(e.violatedDirective + ' ' + e.blockedURI);"
    "});"
)


def expect(*args, **kwargs):
    """Playwright's expect, imported late so collecting the tests works without it."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(*args, **kwargs)
