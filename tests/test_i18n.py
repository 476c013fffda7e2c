"""Languages: the Chinese catalog is complete; pages speak the profile's or browser's language."""

import json
import os
import re
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from chatapp import notices
from chatapp.extensions import babel
from chatapp.i18n import ERROR_TEXT, js_strings
from tests.helpers import PASSWORD, csrf_from

CATALOGS = Path(__file__).resolve().parent.parent / "chatapp" / "translations"
PO = CATALOGS / "zh" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
POT = CATALOGS / "messages.pot"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
I18N_BLOCK = re.compile(r'<script type="application/json" id="i18n-strings">(.*?)</script>', re.S)
ZH = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}
EN = {"Accept-Language": "en-US,en;q=0.9"}


def read_catalog(path: Path):
    with path.open("rb") as f:
        return read_po(f)


@pytest.fixture(scope="module", autouse=True)
def compiled_catalog():
    """Compile the .po when its .mo is missing or older (a fresh clone has none: the .mo is
    git-ignored and built by `make install`), as `pybabel compile -d chatapp/translations`."""
    if not MO.exists() or MO.stat().st_mtime < PO.stat().st_mtime:
        partial = MO.with_suffix(f".mo.{os.getpid()}")
        with partial.open("wb") as f:
            write_mo(f, read_catalog(PO))
        os.replace(partial, MO)
    # Flask-Babel keeps the catalogs it loaded for the whole process (in the domain of the one
    # Babel object, made on first use): drop any read before the .mo was there.
    domain = vars(babel).get("domain_instance")
    if domain is not None:
        domain.cache.clear()
    yield


def text(response) -> str:
    return response.get_data(as_text=True)


def lang_of(html: str) -> str:
    return re.search(r'<html lang="([^"]+)">', html).group(1)


def strings_of(html: str) -> dict:
    return json.loads(I18N_BLOCK.search(html).group(1))


def has_chinese(value: str) -> bool:
    return re.search(r"[\u4e00-\u9fff]", value) is not None


# --- the catalog ---------------------------------------------------------------------------


def test_every_message_has_a_chinese_translation():
    catalog = read_catalog(PO)
    assert not catalog.fuzzy
    messages = [m for m in catalog if m.id]
    assert len(messages) > 100
    problems = []
    for m in messages:
        assert isinstance(m.id, str), f"plural forms are not used: {m.id!r}"
        if not m.string:
            problems.append(f"untranslated: {m.id!r}")
        elif m.fuzzy:
            problems.append(f"fuzzy: {m.id!r}")
        elif sorted(PLACEHOLDER.findall(m.id)) != sorted(PLACEHOLDER.findall(m.string)):
            problems.append(f"placeholders differ: {m.id!r} -> {m.string!r}")
        else:
            names = dict.fromkeys(PLACEHOLDER.findall(m.id), "x")
            try:
                m.string % names  # a stray % would break the page that shows it
            except (KeyError, ValueError, TypeError) as error:
                problems.append(f"bad format ({error}): {m.string!r}")
    assert not problems, "\n".join(problems)


def test_the_catalog_matches_the_template():
    """After `make translations` the .po holds exactly the messages of messages.pot."""
    assert {m.id for m in read_catalog(POT) if m.id} == {m.id for m in read_catalog(PO) if m.id}


def test_the_strings_for_scripts_are_in_the_catalog(app):
    catalog = read_catalog(PO)
    with app.test_request_context("/"):  # no Accept-Language: the English messages
        english = js_strings()
    for key, value in english.items():
        assert catalog.get(value) is not None and catalog.get(value).string, key


# --- the browser's language ----------------------------------------------------------------


@pytest.mark.parametrize(("headers", "lang", "words"), [
    (ZH, "zh-Hans", ["登录", "欢迎回来", "用户名", "密码", "保持登录", "立即注册"]),
    ({"Accept-Language": "zh"}, "zh-Hans", ["登录", "欢迎回来"]),
    (EN, "en", ["Log in", "Welcome back", "User name", "Keep me logged in"]),
    ({}, "en", ["Log in", "Welcome back"]),  # no preference: English
    ({"Accept-Language": "fr-FR,de;q=0.8"}, "en", ["Log in"]),  # nothing we have: English
])
def test_the_browser_language_chooses_the_page_language(app, headers, lang, words):
    page = text(app.test_client().get("/login", headers=headers))
    assert lang_of(page) == lang
    for word in words:
        assert word in page
    assert ("Welcome back" in page) == (lang == "en")


def test_register_page_in_chinese(app):
    page = text(app.test_client().get("/register", headers=ZH))
    assert "注册账号" in page and "确认密码" in page and "邮箱（选填）" in page
    assert "Create your account" not in page


# --- the profile's language ----------------------------------------------------------------


def set_locale(client, locale):
    response = client.patch("/api/me", json={"locale": locale})
    assert response.status_code == 200, response.get_json()


def test_the_profile_language_wins_over_the_browser(api, befriend, alice, bob):
    befriend(alice, bob)
    me = api(alice)
    set_locale(me, "zh")

    chats = text(me.client.get("/chats", headers=EN))
    assert lang_of(chats) == "zh-Hans"
    assert "发起群聊" in chats and "创建群聊" in chats and "群名称" in chats
    assert "New group" not in chats
    friends = text(me.client.get("/friends", headers=EN))
    assert lang_of(friends) == "zh-Hans"
    assert "好友申请" in friends and "我的好友" in friends and "发消息" in friends
    assert "Your friends" not in friends

    set_locale(me, "en")
    chats = text(me.client.get("/chats", headers=ZH))
    assert lang_of(chats) == "en" and "New group" in chats and "发起群聊" not in chats
    friends = text(me.client.get("/friends", headers=ZH))
    assert "Your friends" in friends and "我的好友" not in friends

    set_locale(me, None)  # back to the browser's choice
    assert "发起群聊" in text(me.client.get("/chats", headers=ZH))
    assert "New group" in text(me.client.get("/chats", headers=EN))


def test_group_settings_in_chinese(api, befriend, alice, bob):
    befriend(alice, bob)
    me = api(alice)
    chat = me.post("/api/chats", json={"chat_name": "Team", "member_ids": [bob.user_id]})
    assert chat.status_code == 201
    set_locale(me, "zh")
    page = text(me.client.get(f"/chats/{chat.get_json()['chat']['chat_id']}/settings"))
    assert "群设置 · 你是群主" in page and "设为管理员" in page and "解散群聊" in page
    assert "Team · 群设置" in page  # the title: the group's name stays as it is


# --- the strings for scripts ---------------------------------------------------------------


def test_the_script_strings_follow_the_page_language(app, api, alice):
    zh = strings_of(text(app.test_client().get("/login", headers=ZH)))
    en = strings_of(text(app.test_client().get("/login", headers=EN)))
    assert set(zh) == set(en) and len(zh) > 10
    assert en["recall"] == "Recall" and en["typing"] == "%(name)s is typing…"
    assert zh["recall"] == "撤回" and zh["read"] == "已读"
    assert all(has_chinese(value) for value in zh.values()), zh
    assert "%(name)s" in zh["typing"] and "%(count)s" in zh["unread_count"]

    me = api(alice)
    set_locale(me, "zh")
    assert strings_of(text(me.client.get("/chats", headers=EN))) == zh


def test_the_script_strings_come_from_the_one_catalog(app):
    """Notice sentences and error messages are written once (notices.KINDS, ERROR_TEXT) and
    reach scripts under ``notice_<kind>`` and ``error_<code>``, in the page's language."""
    for headers in (EN, ZH):
        with app.test_request_context("/", headers=headers):
            strings = js_strings()
            for kind, text in notices.KINDS.items():
                assert strings[f"notice_{kind}"] == str(text), kind
            for code, text in ERROR_TEXT.items():
                assert strings[f"error_{code}"] == str(text), code
    assert has_chinese(strings["notice_member_added"]) and has_chinese(strings["error_not_friends"])
    # One code, one text: pages and scripts say the same.
    with app.test_request_context("/", headers=EN):
        assert js_strings()["error_not_friends"] == "You can only do that with a friend."


# --- notices --------------------------------------------------------------------------------


def test_a_notice_on_a_chinese_page(api, befriend, alice, bob):
    befriend(alice, bob)
    me = api(alice)
    chat = me.post("/api/chats", json={"chat_name": "Team", "member_ids": [bob.user_id]})
    assert chat.status_code == 201
    chat_id = chat.get_json()["chat"]["chat_id"]
    set_locale(me, "zh")
    page = text(me.client.get("/chats"))  # the chat list shows the last message: a notice
    assert "alice 邀请 bob 加入了群聊" in page and "alice added bob" not in page
    assert me.patch(f"/api/chats/{chat_id}", json={"chat_name": "<b>Core</b>"}).status_code == 200
    page = text(me.client.get("/chats"))
    assert "alice 将群名称改为“&lt;b&gt;Core&lt;/b&gt;”" in page  # a name is text, never markup
    # The API keeps the English sentence, whatever the reader's language.
    history = me.get(f"/api/chats/{chat_id}/messages").get_json()["messages"]
    assert [m["text"] for m in history][-2:] == ["alice added bob",
                                                 "alice renamed the group to “<b>Core</b>”"]


def test_a_notice_sentence_in_each_language(app):
    notice = {"kind": "member_added", "actor": {"user_id": 1, "user_name": "alice"},
              "target": {"user_id": 2, "user_name": "bob"}}
    assert notices.describe(notice) == "alice added bob"  # outside a request: English
    assert notices.sentence(notice) == "alice added bob"
    with app.test_request_context("/", headers=ZH):
        assert notices.sentence(notice) == "alice 邀请 bob 加入了群聊"
        assert notices.describe(notice) == "alice added bob"  # the API and exports: English
        assert notices.sentence(notice) == "alice 邀请 bob 加入了群聊"  # and back again
        macros = app.jinja_env.get_template("chats/_macros.html").module
        assert str(macros.notice_text({"notice": notice})) == "alice 邀请 bob 加入了群聊"
        # A kind from a newer version still says who did something.
        newer = {"kind": "chat_pinned", "actor": {"user_id": 1, "user_name": "alice"}}
        assert str(macros.notice_text({"notice": newer})) == "alice 更改了群聊"
    assert notices.describe(newer) == "alice changed the group"


# --- errors and flashes ---------------------------------------------------------------------


def test_a_wrong_password_is_told_in_chinese(app, alice):
    client = app.test_client()
    token = csrf_from(text(client.get("/login", headers=ZH)))
    response = client.post("/login", headers=ZH, data={
        "csrf_token": token, "user_name": "alice", "password": "not the password"})
    page = text(response)
    assert response.status_code == 401
    assert "用户名或密码错误。" in page and "Wrong user name or password." not in page

    token = csrf_from(text(client.get("/login", headers=EN)))
    response = client.post("/login", headers=EN, data={
        "csrf_token": token, "user_name": "alice", "password": "not the password"})
    assert "Wrong user name or password." in text(response)


def test_friend_flashes_and_errors_in_chinese(api, alice, bob):
    asker, answerer = api(alice), api(bob)
    set_locale(asker, "zh")
    set_locale(answerer, "zh")
    token = csrf_from(text(asker.client.get("/friends")))
    response = asker.client.post("/friends/requests", data={
        "csrf_token": token, "user_id": bob.user_id}, follow_redirects=True)
    assert "已向 bob 发送好友申请。" in text(response)

    page = text(answerer.client.get("/friends"))
    assert "等待你验证" in page and "接受" in page and "拒绝" in page
    request_id = re.search(r'action="/friends/requests/(\d+)/accept"', page).group(1)
    response = answerer.client.post(f"/friends/requests/{request_id}/accept",
                                    data={"csrf_token": csrf_from(page)}, follow_redirects=True)
    assert "你和 alice 已成为好友。" in text(response)

    # The same request again: the service's error, in Chinese.
    response = answerer.client.post(f"/friends/requests/{request_id}/accept",
                                    data={"csrf_token": csrf_from(page)}, follow_redirects=True)
    assert "该好友申请不存在。" in text(response)


def test_an_error_page_in_chinese(api, alice):
    me = api(alice)
    set_locale(me, "zh")
    response = me.client.get("/chats/999/settings")
    page = text(response)
    assert response.status_code == 404
    assert lang_of(page) == "zh-Hans" and "未找到该聊天。" in page
    assert "链接可能已过期" in page and 'data-error-code="chat_not_found"' in page


def test_english_stays_the_default_for_a_new_account(app):
    client = app.test_client()
    token = csrf_from(text(client.get("/register")))
    response = client.post("/register", data={
        "csrf_token": token, "user_name": "dave", "password": PASSWORD, "confirm": PASSWORD},
        follow_redirects=True)
    assert "Welcome to chatapp, dave!" in text(response)
    assert lang_of(text(response)) == "en"
