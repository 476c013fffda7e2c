"""Observability: the probes, /metrics (who may read it, what moves it) and the logs."""

import io
import json
import logging

import pytest
import requests
from flask.logging import default_handler
from prometheus_client.parser import text_string_to_metric_families

from chatapp.config import ConfigError
from chatapp.database import upgrade_database
from chatapp.observability import setup_logging
from chatapp.services import password_reset
from tests.helpers import error_code
from tests.live_server import LiveServer

ELSEWHERE = {"REMOTE_ADDR": "203.0.113.9"}
TOKEN = "scrape-token-0123456789"


def scrape(app, **kwargs) -> dict:
    """``{(sample name, frozenset of labels): value}`` from /metrics, read from loopback."""
    response = app.test_client().get("/metrics", **kwargs)
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(response.get_data(as_text=True))
            for sample in family.samples}


def value(samples: dict, name: str, **labels) -> float:
    """One sample of a scrape; 0 when the series has not appeared yet."""
    return samples.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def alice_pair(api, befriend, alice, bob):
    """Alice's logged-in client and her private chat with bob."""
    befriend(alice, bob)
    alice_api = api(alice)
    chat = alice_api.post("/api/chats/private", json={"user_id": bob.user_id})
    return alice_api, chat.get_json()["chat"]["chat_id"]


@pytest.fixture
def log_lines():
    """Set up logging as a serving process does, into a buffer; gives the buffer's lines.
    Afterwards the root logger loses that handler and gets its level back."""
    root = logging.getLogger()
    buffer, installed = io.StringIO(), []

    def start(app):
        level = root.level
        installed.append((setup_logging(app, stream=buffer), level))
        return lambda: buffer.getvalue().splitlines()

    yield start
    for handler, _ in installed:
        root.removeHandler(handler)
    if installed:
        root.setLevel(installed[0][1])


# --- probes ----------------------------------------------------------------------------------


def test_readyz_answers_503_with_details_when_the_database_is_unreachable(
        make_app, database_engine, tmp_path):
    unreachable = {"sqlite": f"sqlite:///{tmp_path / 'no-such-folder' / 'chatapp.db'}",
                   "postgresql": "postgresql+psycopg://postgres@127.0.0.1:9/chatapp"}
    app = make_app(SQLALCHEMY_DATABASE_URI=unreachable[database_engine])
    client = app.test_client()

    ready = client.get("/readyz")

    assert ready.status_code == 503
    assert ready.get_json() == {"status": "unavailable", "database": "down", "queue": "none"}
    assert client.get("/healthz").status_code == 200  # alive, only not ready


def test_readyz_answers_200_when_the_database_answers(app):
    ready = app.test_client().get("/readyz")

    assert ready.status_code == 200
    assert ready.get_json() == {"status": "ok", "database": "ok", "queue": "none"}


# --- who may read /metrics -------------------------------------------------------------------


def test_metrics_answer_this_machine_and_nobody_else_without_a_token(app):
    client = app.test_client()

    assert client.get("/metrics").status_code == 200
    assert client.get("/metrics", environ_base=ELSEWHERE).status_code == 404
    # Relayed by a proxy on this machine: the visitor is not local, whatever the address says.
    relayed = client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    assert relayed.status_code == 404
    assert client.get("/metrics", headers={"Forwarded": "for=203.0.113.9"}).status_code == 404


def test_metrics_refused_looks_like_any_unknown_page(app):
    client = app.test_client()
    assert client.get("/metrics").status_code == 200
    refused = client.get("/metrics", environ_base=ELSEWHERE, headers={"Accept": "application/json"})
    unknown = client.get("/no-such-page", headers={"Accept": "application/json"})

    assert (refused.status_code, refused.get_json()) == (unknown.status_code, unknown.get_json())


def test_with_a_token_metrics_need_it_from_everywhere(make_app):
    client = make_app(METRICS_TOKEN=TOKEN).test_client()

    assert client.get("/metrics").status_code == 404  # loopback is not enough now
    wrong = {"Authorization": "Bearer not-the-token"}
    assert client.get("/metrics", headers=wrong, environ_base=ELSEWHERE).status_code == 404
    basic = {"Authorization": f"Basic {TOKEN}"}
    assert client.get("/metrics", headers=basic, environ_base=ELSEWHERE).status_code == 404
    right = {"Authorization": f"Bearer {TOKEN}"}
    answer = client.get("/metrics", headers=right, environ_base=ELSEWHERE)
    assert answer.status_code == 200
    assert "chatapp_sockets_connected" in answer.get_data(as_text=True)


# --- what the metrics count ------------------------------------------------------------------


def test_a_message_sent_over_socketio_moves_the_counters(app, alice_pair, sio):
    alice_api, chat_id = alice_pair
    before = scrape(app)
    sock = sio(alice_api)
    connected = scrape(app)

    ack = sock.emit("send_message", {"chat_id": chat_id, "text": "hello",
                                     "client_msg_id": "obs-1"}, callback=True)

    assert ack["ok"] is True
    after = scrape(app)
    assert value(connected, "chatapp_sockets_connected") == \
        value(before, "chatapp_sockets_connected") + 1
    assert value(after, "chatapp_messages_stored_total", kind="text") == \
        value(before, "chatapp_messages_stored_total", kind="text") + 1
    sent = ("chatapp_message_send_seconds_count", {"transport": "socket", "outcome": "ok"})
    assert value(after, sent[0], **sent[1]) == value(before, sent[0], **sent[1]) + 1
    assert value(after, "chatapp_message_send_seconds_sum", transport="socket", outcome="ok") > 0
    sock.disconnect()
    assert value(scrape(app), "chatapp_sockets_connected") == \
        value(before, "chatapp_sockets_connected")


def test_a_retried_send_is_answered_but_not_stored_again(app, alice_pair, sio):
    alice_api, chat_id = alice_pair
    sock = sio(alice_api)
    payload = {"chat_id": chat_id, "text": "once", "client_msg_id": "obs-retry"}
    sock.emit("send_message", payload, callback=True)
    before = scrape(app)

    assert sock.emit("send_message", payload, callback=True)["created"] is False

    after = scrape(app)
    assert value(after, "chatapp_messages_stored_total", kind="text") == \
        value(before, "chatapp_messages_stored_total", kind="text")
    assert value(after, "chatapp_message_send_seconds_count", transport="socket",
                 outcome="ok") == value(before, "chatapp_message_send_seconds_count",
                                        transport="socket", outcome="ok") + 1


def test_a_refused_socket_send_counts_as_an_error_by_its_code(app, api, sio, mallory, alice_pair):
    _, chat_id = alice_pair
    sock = sio(api(mallory))
    before = scrape(app)

    ack = sock.emit("send_message", {"chat_id": chat_id, "text": "let me in",
                                     "client_msg_id": "obs-2"}, callback=True)

    assert ack["ok"] is False
    after = scrape(app)
    code = ack["error"]["code"]
    assert value(after, "chatapp_errors_total", transport="socket", code=code) == \
        value(before, "chatapp_errors_total", transport="socket", code=code) + 1
    assert value(after, "chatapp_message_send_seconds_count", transport="socket",
                 outcome="error") == value(before, "chatapp_message_send_seconds_count",
                                           transport="socket", outcome="error") + 1


def test_a_message_posted_over_http_moves_the_counters(app, alice_pair):
    alice_api, chat_id = alice_pair
    before = scrape(app)

    posted = alice_api.post(f"/api/chats/{chat_id}/messages",
                            json={"text": "over http", "client_msg_id": "obs-3"})

    assert posted.status_code == 201
    after = scrape(app)
    assert value(after, "chatapp_messages_stored_total", kind="text") == \
        value(before, "chatapp_messages_stored_total", kind="text") + 1
    assert value(after, "chatapp_message_send_seconds_count", transport="http",
                 outcome="ok") == value(before, "chatapp_message_send_seconds_count",
                                        transport="http", outcome="ok") + 1
    buckets = [v for (name, labels), v in after.items()
               if name == "chatapp_message_send_seconds_bucket"
               and dict(labels).get("transport") == "http" and dict(labels)["outcome"] == "ok"]
    assert max(buckets) == 1  # the +Inf bucket holds the one observation


def test_http_latency_is_labelled_by_endpoint_not_by_path(app, alice_pair):
    alice_api, chat_id = alice_pair
    alice_api.get(f"/api/chats/{chat_id}/messages")
    alice_api.get("/api/chats/999999/messages")

    samples = scrape(app)

    assert value(samples, "chatapp_http_request_duration_seconds_count",
                 endpoint="chats_api.history", method="GET", status="2xx") == 1
    assert value(samples, "chatapp_http_request_duration_seconds_count",
                 endpoint="chats_api.history", method="GET", status="4xx") == 1
    labels = {v for (_, series) in samples for _, v in series}
    assert not any("/" in label for label in labels)  # no raw paths: no series per chat


def test_unknown_methods_and_paths_share_one_series(app):
    client = app.test_client()
    client.open("/no/such/page", method="BREW")
    client.get("/another/missing/page")

    samples = scrape(app)

    assert value(samples, "chatapp_http_request_duration_seconds_count",
                 endpoint="none", method="other", status="4xx") == 1
    assert value(samples, "chatapp_http_request_duration_seconds_count",
                 endpoint="none", method="GET", status="4xx") == 1


def test_search_latency_is_observed(app, alice_pair):
    alice_api, chat_id = alice_pair
    alice_api.post(f"/api/chats/{chat_id}/messages",
                   json={"text": "findable words", "client_msg_id": "obs-4"})
    before = scrape(app)

    found = alice_api.get("/api/search", query_string={"q": "findable"})

    assert found.status_code == 200 and len(found.get_json()["results"]) == 1
    after = scrape(app)
    assert value(after, "chatapp_search_duration_seconds_count") == \
        value(before, "chatapp_search_duration_seconds_count") + 1
    assert value(after, "chatapp_search_duration_seconds_sum") > \
        value(before, "chatapp_search_duration_seconds_sum")


def test_a_refused_request_counts_as_an_error_by_its_code(app, api):
    refused = api().get("/api/chats")

    assert error_code(refused) == "not_authenticated"
    samples = scrape(app)
    assert value(samples, "chatapp_errors_total", transport="http",
                 code="not_authenticated") == 1
    assert value(samples, "chatapp_http_request_duration_seconds_count",
                 endpoint="chats_api.list_chats", method="GET", status="4xx") == 1


def test_a_crash_counts_as_a_5xx_and_an_internal_error(make_app):
    app = make_app()

    @app.get("/crash-for-test")
    def crash():
        raise RuntimeError("boom")

    assert app.test_client().get("/crash-for-test").status_code == 500
    samples = scrape(app)
    assert value(samples, "chatapp_errors_total", transport="http", code="internal_error") == 1
    assert value(samples, "chatapp_http_request_duration_seconds_count",
                 endpoint="crash", method="GET", status="5xx") == 1


# --- logs ------------------------------------------------------------------------------------


def test_json_request_lines_parse_and_say_what_happened(make_app, log_lines):
    app = make_app(LOG_FORMAT="json")
    lines = log_lines(app)

    app.test_client().get("/healthz?q=private+words", environ_base=ELSEWHERE)

    entries = [json.loads(line) for line in lines()]
    (request,) = [e for e in entries if e["logger"] == "chatapp.requests"]
    assert request["method"] == "GET"
    assert request["path"] == "/healthz"  # never the query string: search words are content
    assert request["status"] == 200
    assert request["endpoint"] == "main.healthz"
    assert request["remote_addr"] == "203.0.113.9"
    assert isinstance(request["duration_ms"], float) and request["duration_ms"] >= 0
    assert request["level"] == "INFO" and request["time"].endswith("+00:00")


def test_text_request_lines_are_one_line_each(app, log_lines):
    lines = log_lines(app)

    app.test_client().get("/healthz")

    (line,) = [line for line in lines() if "chatapp.requests" in line]
    assert " INFO chatapp.requests: 127.0.0.1 GET /healthz 200 " in line
    assert line.endswith(" ms")


def test_a_reset_links_token_never_reaches_the_log(app, alice, log_lines):
    with app.app_context():
        _, token = password_reset.password_reset_token("alice")
    lines = log_lines(app)
    client = app.test_client()

    assert client.get(f"/reset/{token}").status_code == 200
    client.get(f"/reset/{token}/")  # a mangled link is still a secret
    client.post(f"/reset/{token}", data={"password": "a new password!"})

    logged = "\n".join(lines())
    assert token not in logged
    assert token.split(".")[0] not in logged
    assert logged.count("/reset/[redacted]") == 3


def test_secrets_are_masked_in_any_line(make_app, log_lines):
    app = make_app(LOG_FORMAT="json", METRICS_TOKEN=TOKEN)
    lines = log_lines(app)

    app.logger.warning("cannot reach postgresql+psycopg://chat:hunter2hunter2@db/chat (%s)",
                       app.config["SECRET_KEY"])
    try:
        raise RuntimeError(f"token {TOKEN} in an exception")
    except RuntimeError:
        app.logger.exception("failed")

    logged = "\n".join(lines())
    assert "hunter2hunter2" not in logged and "chat:***@db" in logged
    assert app.config["SECRET_KEY"] not in logged
    assert TOKEN not in logged
    assert all(json.loads(line) for line in lines())  # a traceback stays inside its line


def test_app_info_lines_show_after_the_migrations_ran(app, log_lines):
    lines = log_lines(app)

    upgrade_database(app)  # alembic.ini's logging would set the root logger to WARN
    app.logger.info("the app's own line")

    assert any("INFO chatapp: the app's own line" in line for line in lines())
    assert logging.getLogger().level == logging.INFO


def test_the_app_logs_each_line_once(app, log_lines):
    # Flask gives the app's logger a handler of its own when it finds none (an app created
    # before logging was set up): every line would come twice, once in Flask's format.
    logging.getLogger("chatapp").addHandler(default_handler)
    try:
        log_lines(app)

        assert default_handler not in logging.getLogger("chatapp").handlers
    finally:
        logging.getLogger("chatapp").removeHandler(default_handler)


def test_an_unknown_log_format_stops_the_start_naming_the_setting(make_app):
    with pytest.raises(ConfigError, match="LOG_FORMAT"):
        make_app(LOG_FORMAT="xml")


@pytest.mark.server
def test_the_server_writes_one_json_line_per_request_and_no_access_log_of_its_own(tmp_path):
    secret = "made-up.reset-token-0123456789"
    with LiveServer(tmp_path / "instance", log_path=tmp_path / "server.log",
                    env={"CHATAPP_LOG_FORMAT": "json"}) as server:
        requests.get(f"{server.url}/reset/{secret}", timeout=5)
        scraped = requests.get(f"{server.url}/metrics", timeout=5)
    log = (tmp_path / "server.log").read_text()

    assert scraped.status_code == 200 and "chatapp_sockets_connected" in scraped.text
    assert secret not in log  # in neither the app's line nor a line of the server's own
    entries = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    paths = [e["path"] for e in entries if e["logger"] == "chatapp.requests"]
    assert paths.count("/reset/[redacted]") == 1 and paths.count("/metrics") == 1
    assert any(e["logger"] == "chatapp" and "serving on" in e["message"] for e in entries)
    assert not [line for line in log.splitlines() if '" 200 ' in line]  # gevent's format
