"""Languages: English and Simplified Chinese, chosen from the profile or the browser.

Pages translate their text with ``_()`` (Flask-Babel). Error messages shown on pages are
translated by their stable code (``error_text``); the JSON API keeps English messages, since
programs act on the codes. Scripts get their strings from ``js_strings`` as a JSON block in the
page (``type="application/json"`` is data, never run, so the CSP allows it).
"""

from flask import request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from chatapp import notices

# Locale code -> the language's own name. "zh" is Chinese in Simplified characters.
LANGUAGES = {"en": "English", "zh": "简体中文"}
DEFAULT = "en"


def select_locale() -> str:
    """The user's chosen language, else the browser's best match, else English."""
    if current_user and current_user.is_authenticated and current_user.locale in LANGUAGES:
        return current_user.locale
    return request.accept_languages.best_match(list(LANGUAGES)) or DEFAULT


def html_lang() -> str:
    """The page's ``lang`` attribute."""
    return "zh-Hans" if str(get_locale()) == "zh" else "en"


# Messages of the error codes a person meets, on pages (translated where they are shown) and in
# scripts (``error_<code>`` in js_strings): one text per code.
ERROR_TEXT = {
    "invalid_credentials": _l("Wrong user name or password."),
    "account_disabled": _l("This account is disabled."),
    "user_name_taken": _l("That user name is taken."),
    "user_name_confusable": _l("That user name looks like someone else's. Choose another."),
    "invalid_user_name": _l("A user name has 3 to 50 letters or digits; . _ - are allowed "
                            "inside."),
    "weak_password": _l("A password has at least %(min)s characters."),
    "wrong_password": _l("The current password is wrong."),
    "cannot_act_on_self": _l("Administrators cannot disable or delete their own account here."),
    "name_mismatch": _l("That is not this account's name."),
    "invalid_email": _l("That email address is not valid."),
    "not_an_image": _l("That file is not an image."),
    "image_too_large": _l("That image has too many pixels."),
    "avatar_too_large": _l("The image is too large."),
    "file_too_large": _l("The file is too large."),
    "too_large": _l("The upload is too large."),
    "csrf_failed": _l("The form expired or came from another site. Reload the page and try "
                      "again."),
    "rate_limited": _l("Too many attempts. Wait a moment and try again."),
    "not_found": _l("Not found."),
    "chat_not_found": _l("Chat not found."),
    "user_not_found": _l("User not found."),
    "member_not_found": _l("That person is not in this chat."),
    "request_not_found": _l("No such friend request."),
    "friend_not_found": _l("That person is not your friend."),
    "message_not_found": _l("Message not found."),
    "recall_window_passed": _l("The time for recalling this message has passed."),
    "not_your_message": _l("You can only do that with your own messages."),
    "already_recalled": _l("That message was already recalled."),
    "edit_window_passed": _l("The time for editing this message has passed."),
    "not_editable": _l("Only text messages can be edited."),
    "reply_not_found": _l("The message you reply to is not in this chat."),
    "cannot_reply_to_notice": _l("Notices cannot be replied to."),
    "invalid_emoji": _l("A reaction is one emoji."),
    "too_many_reactions": _l("This message has as many different reactions as it can take."),
    "cannot_react_to_notice": _l("Notices take no reactions."),
    "cannot_forward_notice": _l("Notices cannot be forwarded."),
    "cannot_pin_notice": _l("Notices cannot be pinned."),
    "cannot_mention_all": _l("Only the group's owner and admins can mention everyone."),
    "mentions_with_words": _l("Mentions are listed without words to find."),
    "too_many_pins": _l("This chat has as many pinned messages as it can take; unpin one "
                        "first."),
    "empty_message": _l("A message cannot be empty."),
    "message_too_long": _l("The message is too long."),
    "file_not_found": _l("File not found."),
    "cannot_befriend_self": _l("You cannot send yourself a friend request."),
    "already_friends": _l("You are already friends."),
    "request_pending": _l("You already asked; the request is pending."),
    "not_friends": _l("You can only do that with a friend."),
    "insufficient_role": _l("Your role in this chat does not allow that."),
    "owner_must_transfer": _l("Make someone else the owner before you leave."),
    "invalid_chat_name": _l("A group name has 1 to 50 characters."),
    "already_member": _l("Someone you chose is already in the group."),
    "empty_query": _l("Type something to search for."),
    "invalid_date": _l("Dates are YYYY-MM-DD."),
    "invalid_date_range": _l("The “from” date is after the “to” date."),
    "invalid_time_zone": _l("Unknown time zone."),
    "reset_link_expired": _l("This reset link has expired."),
    "reset_link_invalid": _l("This reset link is not valid."),
    "mail_disabled": _l("This server does not send email."),
    "internal_error": _l("Something went wrong on our side."),
}


def error_text(code: str, fallback: str, details=None) -> str:
    """The message for an error code in the page's language; ``details`` fills its
    placeholders. English pages show the service's own, more specific, message."""
    text = ERROR_TEXT.get(code)
    if text is None or str(get_locale()) == DEFAULT:
        return fallback
    try:
        return str(text) % (details or {}) if "%(" in str(text) else str(text)
    except (KeyError, TypeError):
        return fallback


def js_strings() -> dict[str, str]:
    """The strings the page scripts show, in the page's language: their own, then each notice
    kind as ``notice_<kind>`` and each error code as ``error_<code>``."""
    strings = {key: str(value) for key, value in {
        "sending": _l("Sending…"),
        "failed": _l("Not sent."),
        "failed_because": _l("Not sent: %(error)s"),
        "retry": _l("Retry"),
        "discard": _l("Discard"),
        "recall": _l("Recall"),
        "remove": _l("Remove"),
        "reply": _l("Reply"),
        "react": _l("React"),
        "edit": _l("Edit"),
        "edited": _l("edited"),
        "everyone": _l("everyone"),
        "mention_someone": _l("People to mention"),
        "pin": _l("Pin"),
        "unpin": _l("Unpin"),
        "pinned": _l("Pinned"),
        "edit_history": _l("Earlier versions, oldest first:"),
        "add_reaction": _l("Add a reaction"),
        "reacted_by": _l("%(emoji)s from %(names)s"),
        "replying_to": _l("Replying to %(name)s: %(text)s"),
        "editing": _l("Editing your message. Enter saves, Escape cancels."),
        "reply_to_label": _l("In reply to %(name)s: show that message"),
        "replied": _l("%(name)s replied: %(text)s"),
        "forward": _l("Forward"),
        "forwarded_from": _l("Forwarded from %(name)s"),
        "forward_title": _l("Forward to…"),
        "forward_find": _l("Find a chat"),
        "forward_loading": _l("Loading your chats…"),
        "forward_none": _l("You have no other chat to forward to."),
        "forward_failed": _l("Not forwarded: %(error)s"),
        "forwarded_to": _l("Forwarded to %(name)s."),
        "confirm_recall": _l("Recall this message?"),
        "confirm_remove_message": _l("Remove %(name)s’s message?"),
        "confirm_recall_detail": _l("Everyone in the chat sees “Message recalled” in its place."),
        "recalled": _l("Message recalled"),
        "recalled_by": _l("%(name)s recalled a message"),
        "read": _l("Read"),
        "sent": _l("Sent"),
        "unread_count": _l("%(count)s unread"),
        "all_read": _l("Read by all"),
        "read_by": _l("Read by %(names)s"),
        "nobody_read": _l("Nobody has read it yet."),
        "one_not_read": _l("1 member has not read it yet."),
        "many_not_read": _l("%(count)s members have not read it yet."),
        "typing": _l("%(name)s is typing…"),
        "typing_two": _l("%(one)s and %(two)s are typing…"),
        "typing_many": _l("Several people are typing…"),
        "new_messages": _l("New messages"),
        "new_message_one": _l("1 new message"),
        "new_messages_count": _l("%(count)s new messages"),
        "latest_messages": _l("Latest messages"),
        "jump_to_bottom": _l("Jump to the newest message"),
        "loading_earlier": _l("Loading earlier messages…"),
        "earlier_on_scroll": _l("Earlier messages load as you scroll up."),
        "beginning": _l("The beginning of the conversation."),
        "message_placeholder": _l("Message %(name)s"),
        "text_too_long": _l("A message can have at most %(max)s characters."),
        "upload_failed": _l("Upload failed."),
        "upload_failed_status": _l("The upload failed (HTTP %(status)s)."),
        "upload_offline": _l("The upload failed: no connection."),
        "file_larger_than": _l("The file is larger than %(size)s."),
        "file_too_large": _l("The file is too large."),
        "uploading_name": _l("Uploading %(name)s"),
        "uploading_percent": _l("Uploading %(percent)s"),
        "processing": _l("Processing…"),
        "cancel": _l("Cancel"),
        "cancel_upload": _l("Cancel upload of %(name)s"),
        "download": _l("Download"),
        "unread_messages": _l("%(count)s unread messages"),
        "close": _l("Close"),
        "previous_image": _l("Previous image"),
        "next_image": _l("Next image"),
        "image_position": _l("%(index)s of %(count)s"),
        "sent_image": _l("%(name)s sent a photo: %(file)s"),
        "sent_audio": _l("%(name)s sent an audio file: %(file)s"),
        "sent_video": _l("%(name)s sent a video: %(file)s"),
        "sent_file": _l("%(name)s sent a file: %(file)s"),
        "not_connected": _l("Not connected."),
        "no_answer": _l("No answer from the server."),
        "live": _l("Live"),
        "connecting": _l("Connecting…"),
        "offline": _l("Offline"),
        "online": _l("Online"),
        "live_title": _l("Updates appear as they happen"),
        "connecting_title": _l("Connecting for live updates"),
        "offline_title": _l("Not connected; retrying"),
        "chat_gone": _l("That chat is no longer available."),
        "chat_unavailable": _l("“%(name)s” is no longer available to you."),
        "chat_dissolved": _l("“%(name)s” was dissolved."),
        "you_left": _l("You left “%(name)s”."),
        "you_were_removed": _l("You were removed from “%(name)s”."),
        "new_message_from": _l("New message from %(name)s"),
        "enable_notifications": _l("Enable notifications"),
        "enable_notifications_hint": _l("Notify me of new messages while this tab is hidden"),
        "notifications_blocked": _l("Notifications are blocked in this browser's site settings."),
        "today": _l("Today"),
        "yesterday": _l("Yesterday"),
        "just_now": _l("just now"),
        "profile_of": _l("Profile of %(name)s"),
        "last_seen": _l("Last seen %(time)s"),
        "profile_message": _l("Message"),
        "add_friend": _l("Add friend"),
        "request_sent": _l("Request sent"),
        "request_received": _l("Asked to be your friend"),
        "answer_request": _l("Answer the request"),
        "your_profile": _l("Your profile"),
        "profile_failed": _l("Could not load this profile."),
    }.items()}
    strings.update((f"notice_{kind}", str(text)) for kind, text in notices.KINDS.items())
    strings.update((f"error_{code}", str(text)) for code, text in ERROR_TEXT.items())
    return strings


def init_babel(app, babel) -> None:
    """Bind Flask-Babel with our locale selector and expose helpers to templates."""
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals.update(html_lang=html_lang, js_strings=js_strings,
                                 notice_sentence=notices.sentence,
                                 LANGUAGES=LANGUAGES, get_locale=get_locale)
