"""Formatting: the grammar (chat/format.js in the browser, chatapp/formatting.py on the server)
read alike by both, drawn as elements and never as markup, fast on any input; the stored text
stays as typed; previews, the chat list and search use the plain text, on both engines."""

import io
import json
import random
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from chatapp.formatting import parse, plain_text
from tests.helpers import require

ROOT = Path(__file__).resolve().parent.parent
JS = ROOT / "chatapp" / "static" / "js"

# What a person types -> what previews read (the plain text).
CASES = [
    ("**ship** it, see `make deploy` and [the runbook](https://example.com/runbook)",
     "ship it, see make deploy and the runbook"),
    ("*italic* and _italic_", "italic and italic"),
    ("**bold *and italic* inside**", "bold and italic inside"),
    ("**_both_**", "both"),
    ("(*aside*), **done**!", "(aside), done!"),
    ("我觉得**很好**的", "我觉得很好的"),
    ("注意：**重要**", "注意：重要"),
    # Typed as it reads: no pair, markers inside words, emoticons, lone markers.
    ("*", "*"),
    ("**", "**"),
    ("2*3*4", "2*3*4"),
    ("a**b**c", "a**b**c"),
    ("5 * 3 = 15 * 1", "5 * 3 = 15 * 1"),
    ("snake_case_name and __init__", "snake_case_name and __init__"),
    ("^_^ hi ^_^", "^_^ hi ^_^"),
    ("-_- ok >_<", "-_- ok >_<"),
    ("*_*", "*_*"),
    ("***", "***"),
    ("***triple***", "***triple***"),
    ("**bold**text", "**bold**text"),
    ("**a *b** c*", "a *b c*"),
    ("**not closed", "**not closed"),
    ("*nix and *bsd", "*nix and *bsd"),
    ("**across\nlines**", "**across\nlines**"),
    # Code takes its content literally.
    ("`**not bold**` and `[x](https://x.test)`", "**not bold** and [x](https://x.test)"),
    ("``has ` inside``", "has ` inside"),
    ("`unclosed", "`unclosed"),
    ("` `", "` `"),
    ("see:\n```\nif (a) {\n  **b**();\n}\n```\nthanks", "see:\nif (a) {\n  **b**();\n}\nthanks"),
    ("```python\nprint(1)\n```", "print(1)"),
    ("```\nno end", "```\nno end"),
    ("```\n```", "```\n```"),
    ("```\none\n```\n```\ntwo\n```", "one\ntwo"),
    ("```inline```", "inline"),
    # Links: only http and https; addresses as before.
    ("[x](javascript:alert(1))", "[x](javascript:alert(1))"),
    ("[x](data:text/html,<script>alert(1)</script>)",
     "[x](data:text/html,<script>alert(1)</script>)"),
    ("[w](https://en.wikipedia.org/wiki/Foo_(bar)) ok", "w ok"),
    ("[**x**](https://example.com)", "**x**"),
    ("[](https://example.com)", "[](https://example.com)"),
    ("[x](https://)", "[x](https://)"),
    ("see https://x.org/a_b_c). and *https://x.org*", "see https://x.org/a_b_c). and https://x.org"),
    ("http://x.test/<b>bold</b>", "http://x.test/<b>bold</b>"),
]

# Hostile text: whatever it is drawn as, it is text, and links lead to http(s) only.
HOSTILE = [
    "**<img src=x onerror=alert(1)>**",
    "<script>alert(1)</script>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](data:text/html,<script>alert(1)</script>)",
    "[x](https://ok.test/\"onmouseover=alert(1))",
    "[<img src=x onerror=alert(1)>](https://ok.test)",
    "`<b>`",
    "```\n<script>alert(1)</script>\n```",
    "_<svg onload=alert(1)>_",
    "**a *b** c* `d **e` _f",
]

# Inputs that would be slow for a backtracking parser: each must take well under a second.
STRESS = [
    "*a" * 5000,
    "*" * 10_000,
    "**a" * 3333,
    "*a " * 3333,
    "a* " * 3333,
    "_a _" * 2500,
    "`" * 10_000,
    "` ``" * 2500,
    "[a](http://x" * 833,
    "[" * 10_000,
    "http://x.test/" + ")" * 10_000,
    "http://x.test/" + "." * 10_000 + "a",
    ("```x\n" * 2000),
    " " * 10_000 + "x",
    "*a " * 1250 + "a* " * 1250,
]


def random_texts(count=3000, seed=17):
    """Texts made of the grammar's pieces, to check both readers agree on any mix."""
    pieces = ["*", "**", "_", "`", "```", "``", "[", "]", "(", ")", "http://", "https://",
              "x.test", "/a", " ", " ", "\n", "a", "b", "2", "很", "：", "^", "-", ".", '"', "é",
              "😀", "𠀀", "𝐀", "\t", "```py\n", "\n```\n", "](https://e.test)", "<@2>"]
    rng = random.Random(seed)  # noqa: S311 (test data, repeatable)
    return ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 24)))
            for _ in range(count)]


# The node side: format.js with a small stand-in for the DOM, answering for every text its
# parse tree, plain text, drawing (as HTML of the stand-in elements) and time.
NODE_SCRIPT = r"""
import { readFileSync } from "node:fs";
class Text { constructor(data) { this.data = String(data); } }
class El {
  constructor(tag) { this.tag = tag; this.children = []; this.className = ""; this.attrs = {}; }
  append(...nodes) {
    for (const n of nodes) this.children.push(typeof n === "string" ? new Text(n) : n);
  }
  set textContent(value) { this.children = [new Text(value)]; }
  setAttribute(name, value) { this.attrs[name] = String(value); }
}
globalThis.document = {
  createElement: (tag) => new El(tag),
  createDocumentFragment: () => new El("#fragment"),
  createTextNode: (data) => new Text(data),
};
const { formatted, parse, plainText } = await import(process.argv[2]);
const escape = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
  .replace(/"/g, "&quot;");
function html(node) {
  if (node instanceof Text) return escape(node.data);
  const inner = node.children.map(html).join("");
  if (node.tag === "#fragment") return inner;
  let attrs = node.className ? ` class="${escape(node.className)}"` : "";
  for (const k of ["href", "target", "rel", "title"]) {
    if (node[k] !== undefined) attrs += ` ${k}="${escape(node[k])}"`;
  }
  for (const k of Object.keys(node.attrs)) attrs += ` ${k}="${escape(node.attrs[k])}"`;
  return `<${node.tag}${attrs}>${inner}</${node.tag}>`;
}
function shown(node) {  // what the drawing reads, a code block on lines of its own
  if (node instanceof Text) return node.data;
  return node.children.map((child, i, all) => {
    const gap = i > 0 && (child.tag === "pre" || all[i - 1].tag === "pre") ? "\n" : "";
    return gap + shown(child);
  }).join("");
}
const texts = JSON.parse(readFileSync(0, "utf8"));
console.log(JSON.stringify(texts.map((text) => {
  const started = performance.now();
  const drawn = formatted(text);
  const ms = performance.now() - started;
  const answer = { plain: plainText(text), html: html(drawn), shown: shown(drawn), ms };
  if (text.length <= 1000) answer.tree = parse(text);  // (a stress text nests too deep for JSON)
  return answer;
})));
"""


@pytest.fixture(scope="module")
def node_format(tmp_path_factory):
    """Run format.js under node on a list of texts; one answer (a dict) per text."""
    node = shutil.which("node")
    require(node, "node missing")
    folder = tmp_path_factory.mktemp("format-js")
    (folder / "chat").mkdir()
    # Node reads .js files as modules only under a package.json that says so.
    (folder / "package.json").write_text('{"type": "module"}')
    shutil.copy(JS / "dom.js", folder / "dom.js")
    shutil.copy(JS / "chat" / "format.js", folder / "chat" / "format.js")
    (folder / "run.mjs").write_text(NODE_SCRIPT)

    def run(texts):
        done = subprocess.run([node, str(folder / "run.mjs"), str(folder / "chat" / "format.js")],
                              input=json.dumps(texts), capture_output=True, text=True,
                              timeout=120, check=False)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    return run


# --- the grammar -------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "plain"), CASES, ids=[c[0][:40] for c in CASES])
def test_plain_text(text, plain):
    assert plain_text(text) == plain


def test_what_the_grammar_reads():
    assert parse("**ship** it, see `make deploy` and [the runbook](https://example.com/runbook)"
                 ) == [["strong", ["ship"]], " it, see ", ["code", "make deploy"], " and ",
                       ["link", "the runbook", "https://example.com/runbook"]]
    assert parse("**bold *and italic* inside**") == [
        ["strong", ["bold ", ["em", ["and italic"]], " inside"]]]
    assert parse("see:\n```js\na  b\n\nc\n```\nthanks") == [
        "see:", ["pre", "a  b\n\nc"], "thanks"]
    assert parse("*https://x.org*") == [["em", [["url", "https://x.org"]]]]
    assert parse("a **b**\nc") == ["a ", ["strong", ["b"]], "\nc"]
    assert parse("**a *b** c*") == [["strong", ["a *b"]], " c*"]  # the nearer pair wins
    assert parse("") == [] and plain_text(None) == ""


def test_node_and_python_read_every_text_alike(node_format):
    texts = [c[0] for c in CASES] + HOSTILE + random_texts()
    answers = node_format(texts)
    for text, answer in zip(texts, answers, strict=True):
        assert answer["tree"] == parse(text), text
        assert answer["plain"] == plain_text(text), text
        # What the page shows reads as the plain text: previews say what the message says.
        assert answer["shown"] == answer["plain"], text


def test_the_drawing_is_elements_never_markup(node_format):
    drawn = dict(zip(HOSTILE, (a["html"] for a in node_format(HOSTILE)), strict=True))
    assert drawn["**<img src=x onerror=alert(1)>**"] == (
        "<strong>&lt;img src=x onerror=alert(1)&gt;</strong>")
    assert drawn["[x](javascript:alert(1))"] == "[x](javascript:alert(1))"
    assert drawn["[x](JaVaScRiPt:alert(1))"] == "[x](JaVaScRiPt:alert(1))"
    assert drawn["[x](data:text/html,<script>alert(1)</script>)"] == (
        "[x](data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;)")
    assert drawn["`<b>`"] == '<code class="msg-code">&lt;b&gt;</code>'
    assert drawn["```\n<script>alert(1)</script>\n```"] == (
        '<pre class="msg-pre"><code>&lt;script&gt;alert(1)&lt;/script&gt;</code></pre>')
    assert drawn["[<img src=x onerror=alert(1)>](https://ok.test)"] == (
        '<a class="msg-link" href="https://ok.test/" target="_blank" rel="noopener noreferrer"'
        ' title="https://ok.test/">&lt;img src=x onerror=alert(1)&gt;</a>')
    # The quote ends the address: the rest is text, the link goes to https only.
    assert drawn['[x](https://ok.test/"onmouseover=alert(1))'] == (
        '[x](<a class="msg-link" href="https://ok.test/" target="_blank"'
        ' rel="noopener noreferrer">https://ok.test/</a>&quot;onmouseover=alert(1))')
    for html in drawn.values():
        assert set(re.findall(r"</?([a-z]+)", html)) <= {"strong", "em", "code", "pre", "a"}
        assert re.findall(r'href="([^"]*)"', html) in ([], ["https://ok.test/"]), html


def test_a_drawn_message_has_its_elements(node_format):
    text = ("**ship** it, see `make deploy` and [the runbook](https://example.com/runbook)\n"
            "```\nmake deploy\nmake check\n```")
    (answer,) = node_format([text])
    assert answer["html"] == (
        '<strong>ship</strong> it, see <code class="msg-code">make deploy</code> and '
        '<a class="msg-link" href="https://example.com/runbook" target="_blank" '
        'rel="noopener noreferrer" title="https://example.com/runbook">the runbook</a>'
        '<pre class="msg-pre"><code>make deploy\nmake check</code></pre>')


def test_no_input_is_slow(node_format):
    for text, answer in zip(STRESS, node_format(STRESS), strict=True):
        assert answer["ms"] < 1000, (text[:20], answer["ms"])
        assert answer["plain"] == plain_text(text)
    for text in STRESS:
        started = time.perf_counter()
        plain_text(text)
        assert time.perf_counter() - started < 1, text[:20]


# --- stored as typed; previews and search use the plain text --------------------------------

SHIP = "**ship** it, see `make deploy` and [the runbook](https://example.com/runbook)"


def send(client, chat_id, text, cmid):
    response = client.post(f"/api/chats/{chat_id}/messages",
                           json={"text": text, "client_msg_id": cmid})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["message"]


def test_the_text_is_stored_as_typed_and_previews_are_plain(api, group, alice, bob):
    sent = send(api(bob), group, SHIP, "f1")
    assert sent["msg_text"] == SHIP
    page = api(alice).get(f"/api/chats/{group}/messages").get_json()
    assert page["messages"][-1]["msg_text"] == SHIP
    # The chat list's last-message line (and the sidebar, drawn by the same macro).
    for path in ("/chats", f"/chats/sidebar?current={group}"):
        html = api(alice).get(path).get_data(as_text=True)
        assert "bob: ship it, see make deploy and the runbook" in html, path
        assert "**ship**" not in html and "](https://example.com" not in html


def test_a_file_name_is_not_read_as_formatting(api, group, alice, bob):
    client = api(bob)
    response = client.post(f"/api/chats/{group}/files", data={
        "file": (io.BytesIO(b"%PDF-1.4 x"), "_draft_.pdf"), "client_msg_id": "f2"},
        content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    assert "File · _draft_.pdf" in api(alice).get("/chats").get_data(as_text=True)


@pytest.fixture
def formatted_messages(api, group, bob):
    client = api(bob)
    texts = {"ship": SHIP, "bold": "the **bold** plan", "italic": "an _italic_ aside",
             "code": "```\nrollback --now\n```"}
    return {label: send(client, group, text, f"s-{label}")["msg_id"]
            for label, text in texts.items()}


@pytest.mark.parametrize(("query", "label"), [
    ("bold", "bold"), ("italic", "italic"), ("deploy", "ship"), ("runbook", "ship"),
    ('"ship it"', "ship"), ("rollback", "code"), ("example", "ship"),
])
def test_search_finds_the_words_not_the_markers(api, alice, formatted_messages, query, label):
    """The index never held the markers (they are not letters): the same on both engines."""
    response = api(alice).get("/api/search", query_string={"q": query})
    assert response.status_code == 200, response.get_json()
    found = [r["message"]["msg_id"] for r in response.get_json()["results"]]
    assert found == [formatted_messages[label]]


def test_snippets_quote_the_plain_text(api, alice, formatted_messages):
    response = api(alice).get("/api/search", query_string={"q": "bold"})
    (result,) = response.get_json()["results"]
    assert result["snippet"] == [{"text": "the ", "match": False},
                                 {"text": "bold", "match": True},
                                 {"text": " plan", "match": False}]
    assert result["message"]["msg_text"] == "the **bold** plan"  # the message as typed
    response = api(alice).get("/api/search", query_string={"q": "deploy"})
    snippet = "".join(s["text"] for s in response.get_json()["results"][0]["snippet"])
    assert snippet == "ship it, see make deploy and the runbook"
