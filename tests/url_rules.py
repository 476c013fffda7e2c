"""The app's own URL rules, for tests that visit every route: which ones, and their paths."""

import re

# ``<name>``, ``<id:name>``, ``<int(signed=True):name>``: the converter (or None) and the name.
PLACEHOLDER = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def routes(app, prefix="/"):
    """``(rule, method)`` for every method of every rule under ``prefix``; static files aside."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or not rule.rule.startswith(prefix):
            continue
        found += [(rule, method) for method in METHODS if method in rule.methods]
    return sorted(found, key=lambda pair: (pair[0].rule, pair[1]))


def placeholders(rule) -> list[tuple[str | None, str]]:
    """``(converter, name)`` of each placeholder of ``rule``, in order."""
    return PLACEHOLDER.findall(rule.rule)


def fill(rule, values: dict[str, object]) -> str:
    """The path of ``rule`` with each placeholder replaced by ``values[name]``."""
    return PLACEHOLDER.sub(lambda match: str(values[match.group(2)]), rule.rule)
