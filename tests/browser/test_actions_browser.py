"""Acting on messages and people in real browsers: a message's action takes no line of its
own (for a group's owner and admins too), shows on a touch screen only for the message
tapped, and says "Remove" on someone else's message.
"""

import pytest

from tests.browser.support import (
    Browser,
    api_for,
    expect,
    group_chat,
    no_problems,
    own_message,
    post_text,
    private_chat,
    settled,
    texts,
    wait_live,
    write,
)

pytestmark = pytest.mark.browser

BOB_SAYS = ["Morning all", "The build is green again",
            " ".join(["A longer one, to wrap over several lines in a group of three."] * 4)]

HEIGHTS = """list => [...list.querySelectorAll('li.msg')]
    .filter(li => li.querySelector('.msg-text') && !li.classList.contains('msg-mine'))
    .map(li => [li.querySelector('.msg-text').textContent, li.getBoundingClientRect().height])"""


# The texts of the messages whose action (Recall, Remove) a person can see: on screen, not
# transparent, not clipped to nothing.
SHOWN_ACTIONS = """list => [...list.querySelectorAll('li.msg')].filter(li =>
    [...li.querySelectorAll('button')].some(b => {
        if (!/^(Recall|Remove)$/.test(b.textContent)) return false;
        const box = b.getBoundingClientRect();
        if (box.width < 2 || box.height < 2) return false;
        for (let e = b; e !== li.parentElement; e = e.parentElement) {
            const style = getComputedStyle(e);
            if (style.opacity === '0' || style.visibility === 'hidden') return false;
        }
        return true;
    })).map(li => li.querySelector('.msg-text').textContent)"""


def shown_actions(page):
    return page.get_by_test_id("messages").evaluate(SHOWN_ACTIONS)


def others_messages(page):
    return page.locator("[data-testid=messages] li.msg:not(.msg-mine)")


def heights(page):
    """The height of each of bob's messages."""
    shown = dict(page.get_by_test_id("messages").evaluate(HEIGHTS))
    return {text: shown[text] for text in BOB_SAYS}


def test_an_owner_sees_no_blank_line_under_the_messages_of_others(
        new_context, live_server, alice, bob, make_user, screenshot):
    carol = make_user("carol")
    group_url = group_chat(live_server, alice, bob, carol, name="Builds")
    for text in BOB_SAYS:
        post_text(api_for(live_server, bob), group_url, text)
    problems = []
    owner = Browser(new_context, alice, problems).tab(group_url)
    member = Browser(new_context, carol, problems).tab(group_url)
    write(owner, "Thanks bob")
    settled(owner)
    expect(texts(member)).to_have_count(len(BOB_SAYS) + 1)

    # Both may reply, react and forward; the owner may also pin and remove bob's messages,
    # carol may not. Their lines are the same height. (Actions are <button>s; bob's name is a
    # span with a button role, for his profile card.)
    expect(others_messages(owner).locator("button")).to_have_count(5 * len(BOB_SAYS))
    expect(others_messages(member).locator("button")).to_have_count(3 * (len(BOB_SAYS) + 1))
    expect(others_messages(member).get_by_role("button", name="Remove")).to_have_count(0)
    assert heights(owner) == heights(member)
    expect(others_messages(owner).get_by_role("button", name="Remove")).to_have_count(
        len(BOB_SAYS))
    assert shown_actions(owner) == []

    # Pointed at, bob's message shows "Remove" beside it; her own says "Recall".
    first = others_messages(owner).first
    first.hover()
    expect(first.get_by_role("button", name="Remove")).to_be_visible()
    expect(first.locator(".msg-actions")).to_have_css("opacity", "1")
    assert shown_actions(owner) == [BOB_SAYS[0]]
    expect(own_message(owner, "Thanks bob").locator(".msg-actions button")).to_have_text(
        ["Reply", "React", "Forward", "Edit", "Pin", "Recall"])
    assert heights(owner) == heights(member)
    screenshot(owner, "actions-owner-hover")
    no_problems(problems, owner, member)


def test_on_a_touch_screen_only_the_tapped_message_shows_its_action(
        new_context, live_server, alice, bob, make_user, screenshot):
    carol = make_user("carol")
    group_url = group_chat(live_server, alice, bob, carol, name="Builds")
    for text in BOB_SAYS:
        post_text(api_for(live_server, bob), group_url, text)
    problems = []
    phone = {"has_touch": True, "is_mobile": True, "viewport": {"width": 390, "height": 844}}
    owner = Browser(new_context, alice, problems, **phone).tab(group_url)
    member = Browser(new_context, carol, problems, **phone).tab(group_url)
    expect(texts(member)).to_have_count(len(BOB_SAYS))
    assert owner.evaluate("matchMedia('(hover: none)').matches")

    assert shown_actions(owner) == []
    assert heights(owner) == heights(member)

    # A tap on the second message shows its action, and only its action.
    bubbles = others_messages(owner).locator(".bubble")
    bubbles.nth(1).tap()
    expect(others_messages(owner).nth(1).get_by_role("button", name="Remove")).to_be_visible()
    # Visible at once, fully opaque after its fade: only then is it counted as shown.
    expect(others_messages(owner).nth(1).locator(".msg-actions")).to_have_css("opacity", "1")
    assert shown_actions(owner) == [BOB_SAYS[1]]
    screenshot(owner, "actions-touch-tapped")

    # A tap on another message moves it there; a second tap hides it.
    bubbles.nth(0).tap()
    expect(others_messages(owner).nth(1).locator(".msg-actions")).to_have_css("opacity", "0")
    expect(others_messages(owner).nth(0).locator(".msg-actions")).to_have_css("opacity", "1")
    assert shown_actions(owner) == [BOB_SAYS[0]]
    bubbles.nth(0).tap()
    expect(others_messages(owner).nth(0).locator(".msg-actions")).to_have_css("opacity", "0")
    assert shown_actions(owner) == []
    assert heights(owner) == heights(member)
    no_problems(problems, owner, member)


# --- confirmations ---------------------------------------------------------------------------


def confirm_dialog(page):
    return page.get_by_role("dialog")


def test_recall_and_remove_ask_first(new_context, live_server, alice, bob, make_user,
                                     screenshot):
    carol = make_user("carol")
    group_url = group_chat(live_server, alice, bob, carol, name="Builds")
    post_text(api_for(live_server, bob), group_url, "Oops, wrong group")
    problems = []
    owner = Browser(new_context, alice, problems).tab(group_url)
    member = Browser(new_context, carol, problems).tab(group_url)
    write(owner, "Mine to take back")
    settled(owner)
    expect(texts(member)).to_have_text(["Oops, wrong group", "Mine to take back"])

    # Her own message: "Recall this message?"; Cancel, or Escape, leaves it as it was.
    owner.bring_to_front()
    own_message(owner, "Mine to take back").get_by_role("button", name="Recall").click()
    dialog = confirm_dialog(owner)
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading")).to_have_text("Recall this message?")
    expect(dialog).to_contain_text("Everyone in the chat sees “Message recalled” in its place.")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()  # the safe choice
    screenshot(owner, "confirm-recall")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    recall = own_message(owner, "Mine to take back").get_by_role("button", name="Recall")
    expect(recall).to_be_focused()  # back where it was
    owner.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    owner.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    owner.wait_for_timeout(300)
    expect(texts(owner)).to_have_text(["Oops, wrong group", "Mine to take back"])
    expect(texts(member)).to_have_text(["Oops, wrong group", "Mine to take back"])

    # From the keyboard: Tab from Cancel to Recall, Enter.
    recall.focus()
    owner.keyboard.press("Enter")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    owner.keyboard.press("Tab")
    expect(dialog.get_by_role("button", name="Recall")).to_be_focused()
    owner.keyboard.press("Enter")
    expect(texts(member)).to_have_text(["Oops, wrong group", "Message recalled"], timeout=5_000)

    # Bob's message, as the group's owner: "Remove bob’s message?"
    others_messages(owner).first.get_by_role("button", name="Remove").click()
    expect(dialog.get_by_role("heading")).to_have_text("Remove bob’s message?")
    dialog.get_by_role("button", name="Cancel").click()
    owner.wait_for_timeout(300)
    expect(texts(member)).to_have_text(["Oops, wrong group", "Message recalled"])
    others_messages(owner).first.get_by_role("button", name="Remove").click()
    dialog.get_by_role("button", name="Remove").click()
    expect(texts(member)).to_have_text(["Message recalled", "Message recalled"], timeout=5_000)
    no_problems(problems, owner, member)


def friend_names(api):
    return [f["user_name"] for f in api.get("/api/friends").json()["friends"]]


def roles(api, chat_url):
    chat = api.get(f"/api/chats/{chat_url.rsplit('/', 1)[1]}").json()["chat"]
    return {m["user"]["user_name"]: m["privilege"] for m in chat["members"]}


def test_removing_a_friend_asks_first(new_context, live_server, alice, bob, screenshot):
    group_chat(live_server, alice, bob, name="Befriended")  # makes them friends
    alice_api = api_for(live_server, alice)
    problems = []
    page = Browser(new_context, alice, problems).tab("/friends")
    row = page.get_by_test_id("friend-bob")
    dialog = confirm_dialog(page)

    row.get_by_role("button", name="Remove").click()
    expect(dialog.get_by_role("heading")).to_have_text("Remove bob from your friends?")
    expect(dialog).to_contain_text("neither of you can write in it")
    screenshot(page, "confirm-remove-friend")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    page.wait_for_timeout(300)
    expect(row).to_be_visible()
    assert friend_names(alice_api) == ["bob"]

    row.get_by_role("button", name="Remove").click()
    dialog.get_by_role("button", name="Remove").click()
    expect(page.locator(".flashes")).to_contain_text("Removed from your friends.")
    expect(row).to_have_count(0)
    assert friend_names(alice_api) == []
    no_problems(problems, page)


def test_removing_a_member_and_handing_over_the_group_ask_first(
        new_context, live_server, alice, bob, make_user, screenshot):
    carol = make_user("carol")
    group_url = group_chat(live_server, alice, bob, carol, name="Builds")
    alice_api = api_for(live_server, alice)
    problems = []
    page = Browser(new_context, alice, problems).tab(group_url + "/settings")
    dialog = confirm_dialog(page)
    bob_row, carol_row = page.get_by_test_id("member-bob"), page.get_by_test_id("member-carol")

    bob_row.get_by_role("button", name="Remove").click()
    expect(dialog.get_by_role("heading")).to_have_text("Remove bob from “Builds”?")
    screenshot(page, "confirm-remove-member")
    dialog.get_by_role("button", name="Cancel").click()
    carol_row.get_by_role("button", name="Make owner").click()
    expect(dialog.get_by_role("heading")).to_have_text("Make carol the owner of “Builds”?")
    expect(dialog).to_contain_text("You become an admin")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    page.wait_for_timeout(300)
    assert roles(alice_api, group_url) == {"alice": "owner", "bob": "member", "carol": "member"}

    bob_row.get_by_role("button", name="Remove").click()
    dialog.get_by_role("button", name="Remove").click()
    expect(page.locator(".flashes")).to_contain_text("Removed from the group.")
    expect(bob_row).to_have_count(0)
    wait_live(page)
    carol_row.get_by_role("button", name="Make owner").click()
    dialog.get_by_role("button", name="Make owner").click()
    expect(page.locator(".flashes")).to_contain_text("Ownership handed over.")
    expect(page.get_by_test_id("my-role")).to_contain_text("you are an admin")
    assert roles(alice_api, group_url) == {"alice": "admin", "carol": "owner"}
    no_problems(problems, page)


# --- the composer -----------------------------------------------------------------------------


def test_the_too_long_warning_goes_as_soon_as_the_text_fits(new_context, live_server, alice,
                                                            bob):
    chat_url = private_chat(live_server, alice, bob)
    problems = []
    page = Browser(new_context, alice, problems).tab(chat_url)
    box = page.get_by_label("Message", exact=True)
    warning = page.get_by_role("alert")
    for shorter in ("", "y" * 1000):  # cleared, or cut to the limit
        box.fill("y" * 1001)
        box.press("Enter")
        expect(warning).to_have_text("A message can have at most 1000 characters.")
        box.fill(shorter)
        expect(warning).to_be_hidden(timeout=1_000)  # not 6 s later
    box.press("Enter")
    expect(texts(page)).to_have_text(["y" * 1000])
    no_problems(problems, page)


def test_after_unfriending_the_chat_says_why_instead_of_offering_a_composer(
        new_context, live_server, alice, bob, screenshot):
    chat_url = private_chat(live_server, alice, bob)
    bob_api = api_for(live_server, bob)
    problems = []
    page = Browser(new_context, alice, problems).tab(chat_url)
    composer = page.get_by_label("Message", exact=True)
    closed = page.get_by_test_id("composer-closed")
    write(page, "See you Friday")
    settled(page)
    expect(closed).to_be_hidden()

    # Bob ends the friendship while alice has the chat open: it changes at once.
    assert bob_api.request("DELETE", f"/api/friends/{alice.user_id}").status_code == 204
    expect(closed).to_have_text(
        "You are no longer friends with bob. Add them again to message them.", timeout=5_000)
    expect(composer).to_be_hidden()
    expect(page.get_by_role("button", name="Send")).to_be_hidden()
    expect(closed.get_by_role("link")).to_have_attribute("href", "/friends?q=bob")
    expect(texts(page)).to_have_text(["See you Friday"])  # the history stays
    screenshot(page, "chat-no-longer-friends")
    page.reload()  # and so the page says from the start
    expect(closed).to_be_visible()
    expect(composer).to_be_hidden()

    # Friends again: the composer is back, live.
    asked = api_for(live_server, alice).post("/api/friend-requests",
                                             json={"user_id": bob.user_id})
    request_id = asked.json()["request"]["request_id"]
    assert bob_api.post(f"/api/friend-requests/{request_id}/accept").status_code == 200
    expect(composer).to_be_visible(timeout=5_000)
    expect(closed).to_be_hidden()
    write(page, "Friends again")
    settled(page)
    no_problems(problems, page)


def test_a_message_that_cannot_go_gets_no_retry(new_context, live_server, alice, bob):
    chat_url = private_chat(live_server, alice, bob)
    problems = []
    alice_browser = Browser(new_context, alice, problems)
    page = alice_browser.tab(chat_url)

    # Written while offline, as the friendship ended: it cannot go, so only Discard.
    with alice_browser.offline():
        assert api_for(live_server, bob).request(
            "DELETE", f"/api/friends/{alice.user_id}").status_code == 204
        write(page, "Still on for Friday?")
        expect(page.locator(".msg-pending")).to_contain_text("Sending…")
    failed = page.locator(".msg-pending.is-failed")
    expect(failed).to_contain_text("no longer friends", timeout=15_000)
    expect(failed.get_by_role("button", name="Retry")).to_have_count(0)
    expect(page.get_by_test_id("composer-closed")).to_be_visible()
    failed.get_by_role("button", name="Discard").click()
    expect(failed).to_have_count(0)

    # Friends again, a file over the size limit: refused before uploading, and no Retry.
    asked = api_for(live_server, alice).post("/api/friend-requests",
                                             json={"user_id": bob.user_id})
    request_id = asked.json()["request"]["request_id"]
    api_for(live_server, bob).post(f"/api/friend-requests/{request_id}/accept")
    expect(page.get_by_label("Message", exact=True)).to_be_visible(timeout=5_000)
    page.evaluate("""() => {
        const data = new DataTransfer();
        data.items.add(new File([new Uint8Array(26 * 1024 * 1024)], 'huge.bin'));
        document.querySelector('[data-composer-text]').dispatchEvent(
            new ClipboardEvent('paste', {bubbles: true, cancelable: true, clipboardData: data}));
    }""")
    expect(failed).to_contain_text("larger than 25.0 MB")
    expect(failed.get_by_role("button", name="Retry")).to_have_count(0)
    expect(failed.get_by_role("button", name="Discard")).to_be_visible()
    no_problems(problems, page)


# --- drafts -----------------------------------------------------------------------------------


DRAFT_KEYS = "Object.keys(localStorage).filter(k => k.startsWith('chatapp.draft.')).sort()"


def test_a_draft_stays_with_its_chat_until_sent_or_logged_out(new_context, live_server, alice,
                                                              bob):
    private_url = private_chat(live_server, alice, bob)
    group_url = group_chat(live_server, alice, bob, name="Plans")
    problems = []
    browser = Browser(new_context, alice, problems)
    page = browser.tab(private_url)
    composer = page.get_by_label("Message", exact=True)
    composer.press_sequentially("half a thought")

    # Another chat has its own draft; coming back, or reloading, brings each one back.
    page.goto(group_url)
    wait_live(page)
    expect(composer).to_have_value("")
    composer.press_sequentially("for the group")
    page.goto(private_url)
    wait_live(page)
    expect(composer).to_have_value("half a thought")
    page.reload()
    wait_live(page)
    expect(composer).to_have_value("half a thought")
    composer.press_sequentially(", finished")
    composer.press("Enter")  # sent: the draft goes
    settled(page)
    expect(texts(page)).to_have_text(["half a thought, finished"])
    page.reload()
    wait_live(page)
    expect(composer).to_have_value("")
    page.goto(group_url)
    wait_live(page)
    expect(composer).to_have_value("for the group")

    # Logging out forgets alice's drafts, and only hers (someone else uses this browser too).
    page.evaluate("localStorage.setItem('chatapp.draft.999.1', 'not alice')")
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    assert page.evaluate(DRAFT_KEYS) == ["chatapp.draft.999.1"]
    page.get_by_label("User name").fill(alice.user_name)
    page.get_by_label("Password", exact=True).fill(alice.password)
    page.get_by_role("button", name="Log in").click()
    page.goto(group_url)
    wait_live(page)
    expect(composer).to_have_value("")
    no_problems(problems, page)


# --- in Chinese, in the dark -------------------------------------------------------------------


def test_the_new_words_in_chinese_and_the_screens_in_the_dark(new_context, live_server, alice,
                                                              bob, screenshot):
    private_url = private_chat(live_server, alice, bob)
    group_url = group_chat(live_server, alice, bob, name="Team")
    post_text(api_for(live_server, bob), group_url, "早上好")
    problems = []
    chinese = Browser(new_context, alice, problems, locale="zh-CN", color_scheme="dark")
    page = chinese.tab(group_url)
    others_messages(page).first.hover()
    remove = others_messages(page).first.get_by_role("button", name="移除")
    expect(remove).to_be_visible()
    remove.click()
    dialog = confirm_dialog(page)
    expect(dialog.get_by_role("heading")).to_have_text("移除 bob 的这条消息？")
    expect(dialog.get_by_role("button", name="取消")).to_be_focused()
    screenshot(page, "confirm-remove-message-zh-dark")
    page.keyboard.press("Escape")

    assert api_for(live_server, bob).request(
        "DELETE", f"/api/friends/{alice.user_id}").status_code == 204
    page.goto(private_url)
    wait_live(page)
    expect(page.get_by_test_id("composer-closed")).to_have_text(
        "你和 bob 已不再是好友。 重新添加对方为好友即可发消息。")
    screenshot(page, "chat-no-longer-friends-zh-dark")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "chat-no-longer-friends-zh-dark-narrow")
    page.goto(group_url + "/settings")
    page.get_by_test_id("member-bob").get_by_role("button", name="移除").click()
    expect(confirm_dialog(page).get_by_role("heading")).to_have_text("将 bob 移出“Team”？")
    screenshot(page, "confirm-remove-member-zh-dark-narrow")
    no_problems(problems, page)
