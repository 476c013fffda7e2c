"""The browser scripts' shape, checked without a browser: ES modules that import what they use
(nothing shared through ``window``), every import resolving to an export, every string a
script shows present in the server's one catalog, and pages loading modules only."""

import re
from pathlib import Path

import pytest

from chatapp.i18n import js_strings

ROOT = Path(__file__).resolve().parent.parent / "chatapp"
JS = ROOT / "static" / "js"
SCRIPTS = sorted(JS.rglob("*.js"))
TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))

IMPORT = re.compile(r'^import (?:\{([^}]*)\}|\* as (\w+)) from "([^"]+)";$', re.M)
EXPORTED = re.compile(r"^export (?:async )?(?:function|const|let|class) (\w+)", re.M)
EXPORT_LIST = re.compile(r"^export \{([^}]*)\};", re.M)
STRING_KEY = re.compile(r'\bt\(\s*"(\w+)"\s*[,)]')


def exports_of(path: Path) -> set[str]:
    text = path.read_text()
    names = set(EXPORTED.findall(text))
    for group in EXPORT_LIST.findall(text):
        names.update(n.strip() for n in group.split(",") if n.strip())
    return names


def test_the_scripts_are_modules():
    assert len(SCRIPTS) > 10
    for path in SCRIPTS:
        text = path.read_text()
        assert not re.search(r"^\(function \(\) \{", text, re.M), f"{path.name} is an IIFE"
        assert "use strict" not in text  # modules are strict
        assert not re.search(r"^\s*window\.\w+\s*=", text, re.M), f"{path.name} sets a global"


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: str(p.relative_to(JS)))
def test_every_import_resolves_to_an_export(path):
    text = path.read_text()
    for names, star, target in IMPORT.findall(text):
        module = (path.parent / target).resolve()
        assert module.is_file(), f"{path.name} imports missing {target}"
        exported = exports_of(module)
        wanted = set()
        if names:
            wanted = {n.split(" as ")[0].strip() for n in names.split(",") if n.strip()}
        else:  # import * as X: every X.name used here
            code = re.sub(r"/\*.*?\*/|//[^\n]*", "", IMPORT.sub("", text), flags=re.S)
            wanted = set(re.findall(rf"\b{star}\.(\w+)", code))
        missing = wanted - exported
        assert not missing, f"{path.name}: {target} does not export {sorted(missing)}"


def test_every_string_a_script_shows_is_in_the_catalog(app):
    with app.test_request_context():
        catalog = js_strings()
    used = set()
    for path in SCRIPTS:
        used.update(STRING_KEY.findall(path.read_text()))
    assert len(used) > 50
    assert sorted(used - set(catalog)) == []


def test_pages_load_modules_only():
    """Classic scripts would run before the modules; the vendored Socket.IO client (a UMD
    file that defines window.io) is the one exception."""
    seen = 0
    for path in TEMPLATES:
        for tag in re.findall(r"<script\b[^>]*\bsrc=[^>]*>", path.read_text()):
            seen += 1
            if "vendor/socket.io" in tag:
                assert "defer" in tag
            else:
                assert 'type="module"' in tag, f"{path.name}: {tag}"
    assert seen >= 3


def test_messages_are_drawn_by_one_renderer():
    """The chat page carries messages as data; only chat/view.js draws them."""
    chat_page = (ROOT / "templates" / "chats" / "chat.html").read_text()
    assert 'id="chat-page"' in chat_page
    assert "msg-body" not in chat_page and "timeline_item" not in chat_page
    drawers = [p.name for p in SCRIPTS if '"msg-body"' in p.read_text()]
    assert drawers == ["view.js"]


def test_pages_preload_every_module_they_run(app, api, alice, bob):
    """A page names its whole module graph up front (modulepreload), so the browser fetches it
    at once, not one import level at a time, and a click soon after loading finds the scripts
    running; every file named is served."""
    client = api(alice)
    chat_id = client.post("/api/chats", json={"chat_name": "Team", "member_ids": []}
                          ).get_json()["chat"]["chat_id"]
    for path, entry in (("/friends", "page.js"), (f"/chats/{chat_id}", "workspace.js")):
        page = client.get(path).get_data(as_text=True)
        preloaded = set(re.findall(r'<link rel="modulepreload" href="/static/(js/[^"]+)">', page))
        assert f'<script type="module" src="/static/js/{entry}">' in page
        # Closed under import: the entry's imports, and theirs, are all named.
        for name in [f"js/{entry}", *preloaded]:
            module = JS.parent / name
            for _names, _star, target in IMPORT.findall(module.read_text()):
                wanted = (module.parent / target).resolve().relative_to(JS.parent).as_posix()
                assert wanted in preloaded, f"{path}: {name} imports {wanted}, not preloaded"
        for name in preloaded:
            assert client.get(f"/static/{name}").status_code == 200, name
        assert ("js/chat/view.js" in preloaded) == (entry == "workspace.js")
