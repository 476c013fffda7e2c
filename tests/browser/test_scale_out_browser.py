"""The web client through nginx in front of three processes (PostgreSQL, Redis): two people in
two browsers chat as on a single server, over WebSocket."""

import pytest

from tests.browser.support import (
    LIVE,
    Browser,
    expect,
    no_problems,
    private_chat,
    settled,
    texts,
    write,
)
from tests.scale_out import running_cluster

pytestmark = [pytest.mark.browser, pytest.mark.postgres]


@pytest.fixture
def cluster(tmp_path):
    with running_cluster(tmp_path) as (servers, nginx):
        yield servers, nginx


@pytest.fixture
def live_server(cluster):
    """The browsers' base URL: nginx."""
    return cluster[1].url


def test_two_browsers_chat_through_the_load_balancer(new_context, live_server, alice, bob):
    chat_url = private_chat(live_server, alice, bob)
    problems = []
    alice_tab = Browser(new_context, alice, problems).tab(chat_url)
    bob_tab = Browser(new_context, bob, problems).tab(chat_url)
    for tab in (alice_tab, bob_tab):
        expect(tab.get_by_test_id("live-status")).to_have_attribute("data-state", "live",
                                                                    timeout=LIVE)
        # The client took WebSocket first: no sticky session needed.
        expect(tab.get_by_test_id("live-status")).to_have_attribute("data-transport", "websocket")

    sent = [(alice_tab, "Through the balancer"), (bob_tab, "Loud and clear"),
            (alice_tab, "Three processes, one chat")]
    for tab, text in sent:
        write(tab, text)
        settled(tab)  # stored before the next one: one order to expect
    for tab in (alice_tab, bob_tab):
        expect(texts(tab)).to_have_count(len(sent), timeout=LIVE)
        settled(tab)
        assert texts(tab).all_inner_texts() == [text for _, text in sent]
    no_problems(problems, alice_tab, bob_tab)
