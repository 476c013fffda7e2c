"""A bounded, seeded fuzz of every route and every client-to-server Socket.IO event.

Whatever arrives (wrong types, missing and extra fields, huge strings and numbers, deep nesting,
bytes that are not UTF-8, ids past 64 bits or in full-width digits, odd query strings), the
answer is a 4xx or better with no traceback, and a socket's ack is never ``internal_error``.
Near misses of each endpoint's schema get past the first check into the services. The runs are
derandomized, so CI sees the same inputs every time.
"""

import inspect
import io
import json
import string
from urllib.parse import quote

import pytest
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from wtforms.fields.core import UnboundField

from chatapp import schemas
from chatapp.auth import forms as auth_forms
from chatapp.chats import forms as chat_forms
from chatapp.friends import forms as friend_forms
from chatapp.search import forms as search_forms
from chatapp.sockets import EVENTS
from tests.helpers import PASSWORD, ApiClient
from tests.url_rules import fill, placeholders, routes

FUZZ = settings(derandomize=True, database=None, deadline=None, print_blob=False,
                phases=[Phase.explicit, Phase.generate, Phase.shrink],
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.large_base_example])
TRACEBACK_MARKS = ("Traceback", 'File "/')
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
DEEP = "[" * 100_000
NOT_UTF8 = b'{"text": "\xff\xfe\xc3\x28"}'
# Each tried on every id placeholder; the fuzz draws them, and these, at random too.
HOSTILE_IDS = ["-1", str(2**63), "9" * 40]
ODD_IDS = HOSTILE_IDS + ["0", "0" * 5000 + "1", "٣", "1.5", "abc"]
HUGE_NUMBERS = [0, -1, 2**63 - 1, 2**63, 2**64, -(2**63) - 1, 10**40]



def fields(model) -> list[str]:
    """The names a schema reads, by alias."""
    return sorted(model.model_json_schema(by_alias=True)["properties"])


# The fields of each endpoint's JSON body, of its query string, and of each event's payload.
BODY_FIELDS = {endpoint: fields(model) for endpoint, model in {
    "auth_api.register": schemas.RegisterIn, "auth_api.login": schemas.LoginIn,
    "auth_api.request_password_reset": schemas.PasswordResetIn,
    "auth_api.update_me": schemas.ProfileIn, "auth_api.change_password": schemas.PasswordChangeIn,
    "friends_api.send_request": schemas.FriendRequestIn,
    "chats_api.create_group": schemas.GroupIn, "chats_api.open_private_chat": schemas.PrivateChatIn,
    "chats_api.rename_chat": schemas.RenameIn, "chats_api.add_members": schemas.MembersIn,
    "chats_api.set_role": schemas.RoleIn, "chats_api.transfer_ownership": schemas.TransferIn,
    "chats_api.post_message": schemas.PostMessageIn, "chats_api.mark_read": schemas.ReadPositionIn,
    "chats_api.edit": schemas.EditIn, "chats_api.set_notify": schemas.NotifyIn,
    "chats_api.forward": schemas.ForwardIn,
}.items()}
QUERY_FIELDS = {
    "chats_api.history": fields(schemas.HistoryQuery),
    "chats_api.changes": fields(schemas.ChangesQuery),
    "search.search_messages": fields(schemas.SearchQuery),
    "search.search_page": fields(schemas.SearchQuery),
    "friends_api.search_users": ["q", "after", "limit"], "friends.friends_page": ["q", "after"],
    "chats.chat_page": ["around"], "auth.login": ["next"], "files.avatar": ["v"],
}
EVENT_FIELDS = {"send_message": fields(schemas.SendMessageIn),
                "mark_read": fields(schemas.MarkReadIn),
                "recall_message": fields(schemas.RecallIn), "typing": fields(schemas.TypingIn),
                "catch_up": fields(schemas.CatchUpIn),
                "edit_message": fields(schemas.EditMessageIn), "react": fields(schemas.ReactIn),
                "pin_message": fields(schemas.PinIn),
                "forward_message": fields(schemas.ForwardMessageIn)}
FORM_FIELDS = sorted({
    field.kwargs.get("name", name)
    for module in (auth_forms, chat_forms, friend_forms, search_forms)
    for form in vars(module).values() if isinstance(form, type) and issubclass(form, FlaskForm)
    for name, field in inspect.getmembers(form) if isinstance(field, UnboundField)})
FIELD_NAMES = sorted({name for table in (BODY_FIELDS, QUERY_FIELDS, EVENT_FIELDS)
                      for names in table.values() for name in names}
                     | set(FORM_FIELDS) | {"file", "avatar"})
LOGS_OUT = {"auth.logout", "auth_api.logout"}  # fuzzed anonymously, to keep alice logged in
# Run last, so that the routes before them still find the chats and friendships.
ENDS_SOMETHING = ("/dissolve", "/leave", "/remove", "/logout")


@pytest.fixture
def world(app, alice, bob, carol, mallory, three_chats):
    """alice's and an anonymous client, and the real ids of each kind, to put in paths and
    bodies: the chats of ``three_chats``, a message in two of them, a pending request."""
    clients, chats = three_chats
    messages = [clients[who].post(f"/api/chats/{chats[chat]}/messages",
                                  json={"text": "hello", "client_msg_id": "m1"})
                .get_json()["message"]["msg_id"] for who, chat in (("alice", "team"),
                                                                   ("mallory", "secret"))]
    pending = clients["mallory"].post("/api/friend-requests", json={"user_id": alice.user_id})
    ids = {"chat_id": list(chats.values()),
           "user_id": [p.user_id for p in (alice, bob, carol, mallory)],
           "msg_id": messages,
           "request_id": [pending.get_json()["request"]["request_id"]]}
    return {"alice": clients["alice"], "anonymous": ApiClient(app.test_client()), "ids": ids}


def strategies(ids):
    """Hostile values for bodies and payloads, plausible values per field name, and strings
    for paths, forms and query strings."""
    real = {kind: st.sampled_from(values) for kind, values in ids.items()}
    any_id = st.sampled_from(sorted({i for values in ids.values() for i in values}))
    numbers = st.one_of(any_id, st.integers(), st.integers(-(2**70), 2**70),
                        st.sampled_from(HUGE_NUMBERS), st.floats())
    strings = st.one_of(st.text(max_size=30), st.sampled_from(
        ["", " ", "x" * 100_000, "上" * 5000, "\x00", "<script>", "../../etc/passwd",
         "9999-12-31", "2026-02-30"]))
    # A lone surrogate survives JSON (as "\ud800") but not UTF-8: only in JSON values.
    scalars = st.one_of(st.none(), st.booleans(), numbers, strings, st.just("\ud800"))
    values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                          | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                          max_leaves=12)
    # As deep as this side's json module can still write; DEEP is the raw body for deeper.
    deep = st.integers(1, 500).map(lambda n: json.loads("[" * n + "]" * n))
    seq = st.integers(1, 30) | real["msg_id"] | st.sampled_from(HUGE_NUMBERS)
    plausible = {
        "user_name": st.text(min_size=1, max_size=60) | st.sampled_from(["alice", "bob", "zoë"]),
        "password": st.text(max_size=40) | st.just(PASSWORD),
        "email": st.sampled_from(["a@example.com", ""]) | st.emails() | st.text(max_size=40),
        "remember": st.booleans(), "locale": st.sampled_from(["en", "zh", "de"]),
        "user_id": real["user_id"], "sender_id": real["user_id"],
        "member_ids": st.lists(real["user_id"] | numbers, max_size=5),
        "privilege": st.sampled_from(["admin", "member", "owner"]),
        "chat_id": real["chat_id"], "msg_id": real["msg_id"], "around": real["msg_id"],
        "text": st.text(min_size=1, max_size=200), "chat_name": st.text(min_size=1, max_size=120),
        "client_msg_id": st.text(string.ascii_letters + string.digits + "-_.:", min_size=1,
                                 max_size=70),
        "up_to_seq": seq, "before": seq, "after": seq, "limit": st.integers(1, 120),
        "q": st.sampled_from(["hello", "上海", '"quoted', "NEAR(x)"]) | st.text(max_size=20),
        "kind": st.sampled_from(["text", "image", "audio", "video", "file", "files", "pdf"]),
        "from": st.sampled_from(["9999-12-31", "0001-01-01"]) | st.dates().map(str),
    }
    for alias, name in (("user_ids", "member_ids"), ("new_password", "password"),
                        ("current_password", "password"), ("confirm", "password"),
                        ("to", "from"), ("note", "text"), ("to_chat_id", "chat_id")):
        plausible[alias] = plausible[name]
    words = st.one_of(
        strings, numbers.map(str), any_id.map(lambda i: str(i).translate(FULL_WIDTH)),
        st.sampled_from(ODD_IDS),
        st.sampled_from(sorted(plausible)).flatmap(lambda name: plausible[name]).map(str))
    return {"values": values, "deep": deep, "plausible": plausible, "words": words}


def near_miss(names, s, as_text=False):
    """Objects with the fields ``names``, mostly plausible values, some missing or hostile,
    sometimes with extra fields. The simplest has every field, each plausible."""
    def value(name):
        good = s["plausible"].get(name, s["words"] if as_text else s["values"])
        bad = s["words"] if as_text else s["values"] | s["deep"]
        return st.one_of(good, good, good, good, bad).map(str if as_text else lambda v: v)

    extra = st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=8),
                            s["words"] if as_text else s["values"], max_size=2)
    return st.tuples(st.fixed_dictionaries({n: value(n) for n in names}),
                     st.sets(st.sampled_from(names), max_size=2) if names else st.just(set()),
                     st.just({}) | extra).map(lambda parts: {
                         **parts[2], **{n: v for n, v in parts[0].items() if n not in parts[1]}})


def bodies(rule, s):
    """Keyword arguments of ``client.open`` for one request body (or none), weighted towards
    what the route reads: its schema's fields, or form fields for a page."""
    objects = st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=8),
                              s["values"] | s["deep"], max_size=6)
    raw = st.one_of(st.binary(max_size=64), st.sampled_from(
        [DEEP, "{" * 50_000, NOT_UTF8, b"\xff\xfe", b"", b"null", b"1e999999", b'"\\ud800"']))
    as_json = st.one_of(objects.map(json.dumps), s["values"].map(json.dumps), raw)
    upload = st.tuples(st.binary(max_size=256), st.text(max_size=40), s["words"])
    multipart = upload.map(lambda u: {
        "data": {"file": (io.BytesIO(u[0]), u[1]), "avatar": (io.BytesIO(u[0]), u[1]),
                 "client_msg_id": u[2]},
        "content_type": "multipart/form-data"})
    form_values = st.fixed_dictionaries({}, optional={
        name: st.lists(s["plausible"].get(name, s["words"]).map(str) | s["words"],
                       min_size=1, max_size=3) for name in FORM_FIELDS})
    form = form_values.map(lambda d: {"data": d,
                                      "content_type": "application/x-www-form-urlencoded"})
    nothing = st.just({})
    if rule.endpoint in BODY_FIELDS:
        likely = near_miss(BODY_FIELDS[rule.endpoint], s).map(json.dumps)
        as_json = st.one_of(likely, likely, likely, as_json)
    elif not rule.rule.startswith("/api/"):
        nothing = st.one_of(form, form, form, nothing)
    return st.one_of(nothing, multipart,
                     as_json.map(lambda d: {"data": d, "content_type": "application/json"}))


def query_strings(rule, s):
    """A query string: a near miss of what the route reads, random pairs, or raw text."""
    pairs = st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=8), s["words"],
                            max_size=5)
    raw = st.text(alphabet="%&=+;?#az09 \\", max_size=30)
    if rule.endpoint in QUERY_FIELDS:
        likely = near_miss(QUERY_FIELDS[rule.endpoint], s, as_text=True)
        return st.one_of(likely, likely, likely, pairs, raw)
    return pairs | raw


def check_answer(response, what):
    """A 4xx or better, and nothing of a traceback in the body."""
    assert response.status_code < 500, what
    text = response.get_data().decode("utf-8", "replace")
    assert not any(mark in text for mark in TRACEBACK_MARKS), what


def request(world, rule, method, path, **kwargs):
    who = "anonymous" if rule.endpoint in LOGS_OUT else "alice"
    client = world[who]
    headers = {} if method == "GET" else {"X-CSRFToken": client.token()}
    response = client.client.open(path, method=method, headers=headers, **kwargs)
    check_answer(response, (who, method, path, kwargs))
    return response


def fuzz_route(world, rule, method, s):
    """Seeded random path values, query strings and bodies on one route."""
    ids = world["ids"]
    segment = st.sampled_from(ODD_IDS) | s["words"].map(
        lambda word: quote(word[:200], safe="")).filter(bool)
    path_values = st.fixed_dictionaries({
        name: st.sampled_from(ids[name]) | segment if name in ids else segment
        for _, name in placeholders(rule)})

    @settings(FUZZ, max_examples=6)
    @given(values=path_values, body=bodies(rule, s), query=query_strings(rule, s))
    def run(values, body, query):
        request(world, rule, method, fill(rule, values), query_string=query, **body)

    run()


def test_the_schema_tables_name_real_endpoints_and_events(app):
    endpoints = {rule.endpoint for rule, _ in routes(app)}
    assert set(BODY_FIELDS) | set(QUERY_FIELDS) <= endpoints
    assert set(EVENT_FIELDS) == set(EVENTS)


def test_every_route_answers_hostile_http_input_without_a_5xx(app, world):
    ids = world["ids"]
    s = strategies(ids)
    pairs = sorted(routes(app), key=lambda pair: pair[0].rule.endswith(ENDS_SOMETHING)
                   or pair[1] == "DELETE")
    assert len(pairs) > 60
    for rule, method in pairs:
        real = {name: ids.get(name, ["token"])[0] for _, name in placeholders(rule)}
        # Each id placeholder with each hostile id (the others real), and in full-width digits.
        for converter, name in placeholders(rule):
            if converter == "id":
                for bad in HOSTILE_IDS + [str(real[name]).translate(FULL_WIDTH)]:
                    request(world, rule, method, fill(rule, {**real, name: bad}))
        # Bodies no parser should choke on, on the real path; page forms full of huge ids.
        for body in (DEEP, NOT_UTF8) if method != "GET" else ():
            request(world, rule, method, fill(rule, real), data=body,
                    content_type="application/json")
        if method == "POST" and not rule.rule.startswith("/api/"):
            for bad in HOSTILE_IDS:
                request(world, rule, method, fill(rule, real),
                        data={name: bad for name in FORM_FIELDS})
        fuzz_route(world, rule, method, s)


def test_every_socket_event_acks_hostile_payloads_without_an_internal_error(world, sio):
    ids = world["ids"]
    s = strategies(ids)
    sock = sio(world["alice"])
    assert sock.is_connected()

    def emit(event, *args):
        ack = sock.emit(event, *args, callback=True)
        what = (event, str(args)[:300], str(ack)[:300])
        assert isinstance(ack, dict) and "ok" in ack, what
        assert ack["ok"] or ack["error"]["code"] != "internal_error", what
        assert not any(mark in json.dumps(ack) for mark in TRACEBACK_MARKS), what
        return ack

    for event in EVENTS:
        emit(event)
        for payload in (None, [], {}, "x", 1, 2**64, True, [[[[]]]] * 3,
                        {"chat_id": 2**63, "msg_id": 2**63, "up_to_seq": -1},
                        {"chat_id": ids["chat_id"][0], "text": "x" * 100_000,
                         "client_msg_id": "\x00" * 65, "extra": 1}):
            emit(event, payload)
        emit(event, {"chat_id": ids["chat_id"][0]}, "extra", {"args": 1})
        fuzz_event(emit, event, s)
    assert sock.is_connected()


def fuzz_event(emit, event, s):
    """Seeded near misses of the event's schema and random payloads, with extra arguments."""
    likely = near_miss(EVENT_FIELDS[event], s)
    payloads = st.one_of(likely, likely, likely, s["values"], s["deep"], st.binary(max_size=64))

    @settings(FUZZ, max_examples=30)
    @given(payload=payloads, extra=st.lists(s["values"], max_size=2) | st.just([]))
    def run(payload, extra):
        emit(event, payload, *extra)

    run()
