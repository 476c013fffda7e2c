"""Messaging in real browsers: several people, several tabs each, on the real server.

Every tab shows every message once and in the same order, catches up after losing its
connection, shows read receipts and recalls as they happen, sends and shows files, and never
runs what someone typed.
"""

import io
import re

import pytest
from PIL import Image

from tests.browser.support import (
    LIVE,
    LOADED,
    Browser,
    api_for,
    expect,
    group_chat,
    messages,
    no_problems,
    own_message,
    private_chat,
    settled,
    texts,
    too_wide,
    wait_live,
    write,
)
from tests.live_server import REPO_ROOT

pytestmark = pytest.mark.browser

FIXTURES = REPO_ROOT / "tests" / "fixtures"

# --- the tests -------------------------------------------------------------------------------


def test_two_people_with_two_tabs_each_see_one_conversation(new_context, live_server, alice,
                                                              bob):
    chat_url = private_chat(live_server, alice, bob)
    problems = []
    alice_browser = Browser(new_context, alice, problems)
    bob_browser = Browser(new_context, bob, problems)
    a1, a2 = alice_browser.tab(chat_url), alice_browser.tab(chat_url)
    b1, b2 = bob_browser.tab(chat_url), bob_browser.tab(chat_url)
    tabs = [a1, a2, b1, b2]

    b1.get_by_label("Message", exact=True).press_sequentially("Yes")
    expect(a1.get_by_text("bob is typing…")).to_be_visible(timeout=LIVE)
    expect(b2.get_by_text("bob is typing…")).to_have_count(0)  # not about yourself
    b1.get_by_label("Message", exact=True).fill("")

    sent = [(a1, "Morning! Coffee?"), (b1, "Yes please"), (a2, "Usual place in 10"),
            (b2, "Make it 15, a call ran long"), (a1, "Fine 🙂 https://example.com/menu."),
            (b2, "On my way")]
    for tab, text in sent:  # from four tabs, without waiting for each other
        write(tab, text)

    shown = []
    for tab in tabs:
        expect(texts(tab)).to_have_count(len(sent), timeout=LIVE)
        settled(tab)
        shown.append(texts(tab).all_inner_texts())
    assert sorted(shown[0]) == sorted(text for _, text in sent)
    assert all(order == shown[0] for order in shown), shown  # one order everywhere
    for tab in tabs:  # and the ids say each message is there once
        ids = tab.locator("[data-testid=messages] li.msg").evaluate_all(
            "items => items.map(li => li.id)")
        assert len(ids) == len(set(ids)) == len(sent)

    expect(a1.get_by_text("bob is typing…")).to_have_count(0)  # his message ended it
    expect(a2.get_by_test_id("announcer")).to_have_text("bob: On my way")  # screen readers

    # Links in text are links, to http(s) only, opening elsewhere.
    link = b1.get_by_role("link", name="https://example.com/menu")
    expect(link).to_have_attribute("href", "https://example.com/menu")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    expect(link).to_have_attribute("target", "_blank")
    no_problems(problems, *tabs)


def test_a_tab_that_lost_its_connection_shows_what_it_missed(new_context, live_server, alice,
                                                             bob):
    chat_url = private_chat(live_server, alice, bob)
    problems = []
    alice_browser = Browser(new_context, alice, problems)
    bob_browser = Browser(new_context, bob, problems)
    a = alice_browser.tab(chat_url)
    b = bob_browser.tab(chat_url)
    write(a, "Before the tunnel")
    expect(texts(b)).to_have_text(["Before the tunnel"], timeout=LIVE)

    missed = ["Are you there?", "The tunnel, right", "Call me when you are out"]
    with bob_browser.offline():  # in the tunnel, his tab keeps trying to reconnect, in vain
        bob_browser.wait_for_failed_reconnection(b)
        for text in missed:
            write(a, text)
        settled(a)
        expect(texts(b)).to_have_count(1)
    # Out of it, socket.io reconnected by itself (the block waited), and the tab catches up.
    expect(texts(b)).to_have_text(["Before the tunnel", *missed], timeout=LIVE)

    # Written while offline: shown as sending, delivered once the connection is back.
    with bob_browser.offline():
        write(b, "Back! (sent from the tunnel)")
        expect(b.locator(".msg-pending")).to_contain_text("Sending…")
    settled(b)
    expect(texts(a)).to_have_text(["Before the tunnel", *missed, "Back! (sent from the tunnel)"],
                                  timeout=LIVE)
    expect(texts(b)).to_have_text(["Before the tunnel", *missed, "Back! (sent from the tunnel)"])
    no_problems(problems, a, b)


def test_read_receipts_and_unread_counts_update_live(new_context, live_server, alice, bob,
                                                     make_user, screenshot):
    carol = make_user("carol")
    private_url = private_chat(live_server, alice, bob)
    problems = []
    alice_browser = Browser(new_context, alice, problems)
    bob_browser = Browser(new_context, bob, problems)
    carol_browser = Browser(new_context, carol, problems)

    # Private: "Sent" until bob's open tab shows it, then "Read".
    a = alice_browser.tab(private_url)
    bob_list = bob_browser.tab("/chats")
    write(a, "Did you get the slides?")
    expect(own_message(a, "slides").locator(".receipt")).to_have_text("Sent")
    expect(bob_list.locator(".unread")).to_have_text("1 unread", timeout=LIVE)
    b = bob_browser.tab(private_url)
    expect(own_message(a, "slides").locator(".receipt")).to_have_text("Read", timeout=LIVE)
    expect(bob_list.locator(".unread")).to_have_count(0, timeout=LIVE)  # his list, live

    # A group: the count of members who have not read it goes down as they read.
    group_url = group_chat(live_server, alice, bob, carol, name="Slides crew")
    a.goto(group_url)
    wait_live(a)
    b.goto(group_url)
    wait_live(b)
    write(a, "Final version is up")
    receipt = own_message(a, "Final version").locator(".receipt")
    expect(receipt).to_have_text("1 unread", timeout=LIVE)  # bob's tab read it at once
    a.bring_to_front()
    receipt.click()
    expect(a.locator(".receipts-pop")).to_contain_text("Read by bob")
    expect(a.locator(".receipts-pop")).to_contain_text("1 member has not read it yet.")
    c = carol_browser.tab(group_url)
    expect(receipt).to_have_text("Read by all", timeout=LIVE)
    expect(a.locator(".receipts-pop")).to_have_text("Read by bob, carol")  # kept current

    # A rename refreshes the header; the conversation, a draft and open receipts stay.
    a.get_by_label("Message", exact=True).fill("a draft")
    chat_id = group_url.rsplit("/", 1)[1]
    renamed = api_for(live_server, alice).request("PATCH", f"/api/chats/{chat_id}",
                                                   json={"chat_name": "Slides crew v2"})
    assert renamed.status_code == 200, renamed.text
    for tab in (a, c):
        expect(tab.get_by_test_id("chat-name")).to_have_text("Slides crew v2", timeout=LIVE)
        expect(messages(tab).get_by_text("alice renamed the group to “Slides crew v2”")
               ).to_have_count(1)
    expect(a.get_by_label("Message", exact=True)).to_have_value("a draft")
    expect(a.locator(".receipts-pop")).to_have_text("Read by bob, carol")
    expect(c.get_by_label("Message", exact=True)).to_have_attribute(
        "placeholder", "Message Slides crew v2")
    write(c, "Looks great. One typo on slide 4: https://example.com/slides#4")
    screenshot(a, "messaging-group-receipts")
    c.emulate_media(color_scheme="dark")
    screenshot(c, "messaging-group-dark")
    no_problems(problems, a, b, c, bob_list)


def test_a_recalled_message_becomes_a_placeholder_everywhere(new_context, live_server, alice,
                                                            bob):
    chat_url = private_chat(live_server, alice, bob)
    problems = []
    alice_browser = Browser(new_context, alice, problems)
    bob_browser = Browser(new_context, bob, problems)
    a1, a2 = alice_browser.tab(chat_url), alice_browser.tab(chat_url)
    b = bob_browser.tab(chat_url)
    write(a1, "Wrong chat, sorry")
    write(a1, "Lunch at noon?")
    expect(texts(b)).to_have_text(["Wrong chat, sorry", "Lunch at noon?"], timeout=LIVE)
    expect(b.get_by_role("button", name="Recall")).to_have_count(0)  # not his to recall
    # Two in a row from alice: one header with her name and time, for both.
    expect(b.locator("li.msg .msg-meta strong").filter(visible=True)).to_have_text(["alice"])
    expect(b.locator("li.msg").nth(1)).to_have_class(re.compile(r"\bmsg-cont\b"))

    a1.bring_to_front()  # a tab in the background gets no animation frames to click in
    own_message(a1, "Wrong chat").get_by_role("button", name="Recall").click()
    a1.get_by_role("dialog").get_by_role("button", name="Recall").click()  # confirmed
    for tab in (a1, a2, b):
        expect(texts(tab)).to_have_text(["Message recalled", "Lunch at noon?"], timeout=LIVE)
        expect(messages(tab)).not_to_contain_text("Wrong chat")
    expect(a2.get_by_role("button", name="Recall")).to_have_count(1)  # the other one
    b.reload()  # the stored history agrees
    expect(texts(b)).to_have_text(["Message recalled", "Lunch at noon?"])
    no_problems(problems, a1, a2, b)


def test_what_people_type_is_shown_as_text_and_never_run(new_context, live_server, alice, bob):
    chat_url = private_chat(live_server, alice, bob)
    problems = []
    a = Browser(new_context, alice, problems).tab(chat_url)
    b = Browser(new_context, bob, problems).tab(chat_url)
    attacks = ['<img src=x onerror="window.__xss=1">', "<script>window.__xss=2</script>",
               "javascript:window.__xss=3 and http://x.test/<b>bold</b>"]
    for text in attacks:
        write(b, text)
    expect(texts(a)).to_have_text(attacks, timeout=LIVE)
    a.reload()  # the server-rendered page too
    expect(texts(a)).to_have_text(attacks)
    assert a.evaluate("window.__xss") is None
    assert b.evaluate("window.__xss") is None
    assert messages(a).locator("img:not(.avatar), script, b").count() == 0
    assert messages(b).locator("img:not(.avatar), script, b").count() == 0
    # Shift+Enter is a new line; near the limit a counter shows, over it nothing is sent.
    box = b.get_by_label("Message", exact=True)
    box.press_sequentially("two")
    box.press("Shift+Enter")
    box.press_sequentially("lines")
    box.press("Enter")
    expect(texts(a).last).to_have_text("two\nlines", timeout=LIVE)
    box.fill("x" * 950)
    expect(b.locator("[data-counter]")).to_have_text("950 / 1000")
    box.fill("y" * 1001)
    box.press("Enter")
    expect(b.get_by_role("alert")).to_have_text("A message can have at most 1000 characters.")
    expect(box).to_have_value("y" * 1001)  # kept, to shorten
    expect(texts(b)).to_have_count(len(attacks) + 1)

    # Only the http address became a link, and it ends where the markup starts.
    assert [link.get_attribute("href") for link in messages(a).get_by_role("link").all()] == [
        "http://x.test/"]
    no_problems(problems, a, b)


# --- files -----------------------------------------------------------------------------------

GIVE_FILE = """(target, [how, name, type, base64]) => {
    const bytes = Uint8Array.from(atob(base64), c => c.charCodeAt(0));
    const data = new DataTransfer();
    data.items.add(new File([bytes], name, {type}));
    const init = {bubbles: true, cancelable: true};
    if (how === 'paste') {
        target.dispatchEvent(new ClipboardEvent('paste', {...init, clipboardData: data}));
    } else {
        target.dispatchEvent(new DragEvent('dragenter', {...init, dataTransfer: data}));
        target.dispatchEvent(new DragEvent('dragover', {...init, dataTransfer: data}));
        target.dispatchEvent(new DragEvent('drop', {...init, dataTransfer: data}));
    }
}"""


def give_file(target, how, name, mime, content):
    """Paste a file into, or drop it onto, an element, as the browser would."""
    import base64

    target.evaluate(GIVE_FILE, [how, name, mime, base64.b64encode(content).decode()])


def png_bytes(size=(640, 400)):
    image = Image.new("RGB", size, (70, 130, 180))
    for x in range(0, size[0], 40):  # stripes, so a broken thumbnail would show
        for y in range(size[1]):
            image.putpixel((x, y), (250, 250, 250))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def pdf_bytes():
    out = io.BytesIO()
    Image.new("RGB", (200, 120), (255, 255, 255)).save(out, format="PDF")
    return out.getvalue()


WHEN_PLAYABLE = """media => new Promise((resolve, reject) => {
    const ready = () => resolve(media.duration);
    if (media.readyState >= 1) ready(); else media.addEventListener('loadedmetadata', ready);
    media.addEventListener('error', () => reject(new Error('media error ' + media.error.code)));
    setTimeout(() => reject(new Error('no metadata')), 8000);
})"""

SEEK = """(video, to) => new Promise((resolve, reject) => {
    video.addEventListener('seeked', () => resolve(video.currentTime), {once: true});
    video.currentTime = to;
    setTimeout(() => reject(new Error('did not seek')), 8000);
})"""

def test_files_by_paste_drop_and_picker_show_live_for_the_other_member(
        new_context, live_server, alice, bob, make_user, screenshot):
    chat_url = private_chat(live_server, alice, bob)
    problems = []
    a = Browser(new_context, alice, problems).tab(chat_url)
    b = Browser(new_context, bob, problems).tab(chat_url)
    write(a, "The photos and the recordings from Saturday")

    give_file(a.get_by_label("Message", exact=True), "paste", "image.png", "image/png",
              png_bytes())
    give_file(a.locator("[data-timeline]"), "drop", "tone.mp3", "audio/mpeg",
              (FIXTURES / "tone.mp3").read_bytes())
    a.locator("[data-file-input]").set_input_files([
        {"name": "clip.mp4", "mimeType": "video/mp4",
         "buffer": (FIXTURES / "clip.mp4").read_bytes()},
        {"name": "Trip plan.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes()}])
    settled(a)
    expect(a.locator("[data-drop-overlay]")).to_be_hidden()

    # Bob sees them as they arrive: a thumbnail, two players and a download card.
    image = b.locator(".attachment-image img")
    expect(image).to_have_attribute("alt", "image.png", timeout=LIVE)
    assert image.evaluate(LOADED) > 0
    audio = b.locator("audio")
    expect(audio).to_have_attribute("aria-label", "tone.mp3", timeout=LIVE)
    assert audio.evaluate(WHEN_PLAYABLE) > 1.5
    video = b.locator("video")
    expect(video).to_have_attribute("aria-label", "clip.mp4", timeout=LIVE)
    assert video.evaluate(WHEN_PLAYABLE) > 2
    assert video.evaluate(SEEK, 1.5) > 1  # range requests: the player can seek
    card = b.locator(".file-card")
    expect(card).to_contain_text("Trip plan.pdf", timeout=LIVE)
    expect(card).to_have_attribute("download", "Trip plan.pdf")
    expect(texts(b)).to_have_text(["The photos and the recordings from Saturday"])
    b.set_viewport_size({"width": 1280, "height": 1200})  # the whole conversation
    screenshot(b, "messaging-files")

    # The files are for members only.
    urls = [image.locator("xpath=..").get_attribute("href"), audio.get_attribute("src"),
            video.get_attribute("src"), card.get_attribute("href")]
    mallory = Browser(new_context, make_user("mallory"), problems)
    for url in urls:
        assert b.request.get(url).status == 200
        assert mallory.context.request.get(url).status == 404

    # Too large for the server: refused before uploading, and said on the pending item.
    a.evaluate("""() => {
        const data = new DataTransfer();
        data.items.add(new File([new Uint8Array(26 * 1024 * 1024)], 'huge.bin'));
        document.querySelector('[data-composer-text]').dispatchEvent(
            new ClipboardEvent('paste', {bubbles: true, cancelable: true, clipboardData: data}));
    }""")
    failed = a.locator(".msg-pending.is-failed")
    expect(failed).to_contain_text("huge.bin")
    expect(failed).to_contain_text("larger than 25.0 MB")
    failed.get_by_role("button", name="Discard").click()
    expect(failed).to_have_count(0)

    b.set_viewport_size({"width": 390, "height": 844})
    b.locator("[data-timeline]").evaluate("t => t.scrollTop = t.scrollHeight")
    assert too_wide(b, ".chat") == [], "the chat is wider than the phone"
    screenshot(b, "messaging-files-narrow")
    expect(a.locator("li.msg-mine .receipt")).to_have_text(["Read"] * 5, timeout=LIVE)
    screenshot(a, "messaging-files-sender")
    no_problems(problems, a, b)


def test_long_history_scrolls_back_and_jumps_to_a_message(new_context, live_server, alice, bob,
                                                          screenshot):
    chat_url = private_chat(live_server, alice, bob)
    chat_id = chat_url.rsplit("/", 1)[1]
    senders = {alice: api_for(live_server, alice), bob: api_for(live_server, bob)}
    ids = {}
    for n in range(1, 131):
        response = senders[alice if n % 3 else bob].post(
            f"/api/chats/{chat_id}/messages",
            json={"text": f"message {n}", "client_msg_id": f"m{n}"})
        assert response.status_code == 201, response.text
        ids[n] = response.json()["message"]["msg_id"]
    problems = []
    bob_browser = Browser(new_context, bob, problems)
    a = Browser(new_context, alice, problems).tab(chat_url)
    b = bob_browser.tab(chat_url)
    expect(texts(b)).to_have_count(100)  # the newest page
    expect(texts(b).last).to_have_text("message 130")
    expect(texts(b).last).to_be_in_viewport()

    # Scrolling up loads what came before, and what was on screen stays on screen.
    timeline = b.locator("[data-timeline]")
    timeline.evaluate("t => t.scrollTop = 0")
    expect(texts(b)).to_have_count(130)
    expect(b.get_by_text("message 31", exact=True)).to_be_in_viewport()
    timeline.evaluate("t => t.scrollTop = 0")
    expect(b.get_by_text("The beginning of the conversation.")).to_be_visible()

    # News while reading further up: a marker, a count on the way down, a word for readers.
    write(a, "fresh news")
    jump = b.get_by_role("button", name="1 new message")
    expect(jump).to_be_visible(timeout=LIVE)
    expect(b.get_by_test_id("new-marker")).to_have_count(1)
    expect(b.get_by_test_id("announcer")).to_have_text("alice: fresh news")
    jump.click()
    expect(messages(b).get_by_text("fresh news")).to_be_in_viewport()
    expect(jump).to_be_hidden()

    # A link to message 20 (a search result) opens there, highlighted; newer pages load
    # while scrolling down, live messages included, each once.
    b.goto(f"{chat_url}?around={ids[20]}#m{ids[20]}")
    wait_live(b)
    target = b.locator(f"#m{ids[20]}")
    expect(target).to_have_class(re.compile(r"\bmsg-highlight\b"))
    expect(target).to_be_in_viewport()
    expect(texts(b)).to_have_count(100)  # 19 before it, 81 from it on
    screenshot(b, "messaging-around")
    write(a, "while you were reading")
    expect(b.get_by_role("button", name="Latest messages")).to_be_visible()
    timeline.evaluate("t => t.scrollTop = t.scrollHeight")  # the rest is one page
    expect(texts(b).last).to_have_text("while you were reading", timeout=LIVE)
    shown = texts(b).all_inner_texts()
    assert shown == [*(f"message {n}" for n in range(1, 131)), "fresh news",
                     "while you were reading"]

    b.goto(f"{chat_url}?around=999999")  # not a message of this chat: the newest instead
    expect(texts(b).last).to_have_text("while you were reading")
    expect(b.locator(".msg-highlight")).to_have_count(0)
    no_problems(problems, a, b)
