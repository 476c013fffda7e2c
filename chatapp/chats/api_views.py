"""Chat endpoints for programs: private chats, groups, members and roles."""

from flask import jsonify, request
from flask_login import current_user, login_required

from .. import observability
from ..errors import ValidationError
from ..files import service as files
from ..schemas import (
    ChangesQuery,
    EditIn,
    ForwardIn,
    GroupIn,
    HistoryQuery,
    MembersIn,
    NotifyIn,
    PostMessageIn,
    PrivateChatIn,
    ReactionIn,
    ReadPositionIn,
    RenameIn,
    RoleIn,
    TransferIn,
    UploadIn,
    load,
)
from ..services import chats, groups, messages, private_chats
from . import api


def _body(schema):
    return load(schema, request.get_json(silent=True))


@api.get("/chats")
@login_required
def list_chats():
    """The user's chats."""
    return jsonify(chats=chats.list_chats(current_user))


@api.post("/chats")
@login_required
def create_group():
    """A new group with the creator as owner and chosen friends as members."""
    data = _body(GroupIn)
    chat = groups.create_group(current_user, data.chat_name, data.member_ids)
    return jsonify(chat=chats.chat_details(current_user, chat.chat_id)), 201


@api.post("/chats/private")
@login_required
def open_private_chat():
    """The private chat with a friend (created the first time)."""
    data = _body(PrivateChatIn)
    chat, created = private_chats.open_private_chat(current_user, data.user_id)
    return jsonify(chat=chats.chat_details(current_user, chat.chat_id)), 201 if created else 200


@api.get("/chats/<id:chat_id>")
@login_required
def chat_details(chat_id):
    """A chat with its members and their roles."""
    return jsonify(chat=chats.chat_details(current_user, chat_id))


@api.patch("/chats/<id:chat_id>")
@login_required
def rename_chat(chat_id):
    """Rename a group."""
    groups.rename_chat(current_user, chat_id, _body(RenameIn).chat_name)
    return jsonify(chat=chats.chat_details(current_user, chat_id))


@api.delete("/chats/<id:chat_id>")
@login_required
def dissolve_chat(chat_id):
    """Dissolve a group: it is gone for everyone."""
    groups.dissolve_chat(current_user, chat_id)
    return "", 204


@api.post("/chats/<id:chat_id>/members")
@login_required
def add_members(chat_id):
    """Add friends to a group."""
    groups.add_members(current_user, chat_id, _body(MembersIn).user_ids)
    return jsonify(chat=chats.chat_details(current_user, chat_id))


@api.delete("/chats/<id:chat_id>/members/<id:user_id>")
@login_required
def remove_member(chat_id, user_id):
    """Remove someone from a group."""
    groups.remove_member(current_user, chat_id, user_id)
    return "", 204


@api.put("/chats/<id:chat_id>/members/<id:user_id>/role")
@login_required
def set_role(chat_id, user_id):
    """Make a member an admin, or an admin a member."""
    groups.set_role(current_user, chat_id, user_id, _body(RoleIn).privilege)
    return jsonify(chat=chats.chat_details(current_user, chat_id))


@api.post("/chats/<id:chat_id>/owner")
@login_required
def transfer_ownership(chat_id):
    """Hand the group over to another member."""
    groups.transfer_ownership(current_user, chat_id, _body(TransferIn).user_id)
    return jsonify(chat=chats.chat_details(current_user, chat_id))


@api.post("/chats/<id:chat_id>/leave")
@login_required
def leave_chat(chat_id):
    """Leave a group."""
    groups.leave_chat(current_user, chat_id)
    return "", 204


@api.put("/chats/<id:chat_id>/notify")
@login_required
def set_notify(chat_id):
    """What of the chat notifies you: all messages, mentions only, or nothing (muted)."""
    return jsonify(notify=chats.set_notify(current_user, chat_id, _body(NotifyIn).notify))


# --- messages ------------------------------------------------------------------------------


@api.get("/chats/<id:chat_id>/messages")
@login_required
def history(chat_id):
    """A page of history: newest, ``before``/``after`` a position, or ``around`` a message."""
    query = load(HistoryQuery, request.args.to_dict())
    return jsonify(messages.history(current_user, chat_id, before=query.before,
                                    after=query.after, around=query.around, limit=query.limit))


@api.post("/chats/<id:chat_id>/messages")
@login_required
@observability.times_send("http")
def post_message(chat_id):
    """Send a text message (idempotent by ``client_msg_id``)."""
    data = _body(PostMessageIn)
    message, created = messages.post_message(current_user, chat_id, data.text,
                                             data.client_msg_id, data.reply_to)
    return jsonify(message=message, created=created), 201 if created else 200


@api.get("/chats/<id:chat_id>/changes")
@login_required
def changes(chat_id):
    """Messages edited, recalled or reacted to after a change position (``after``)."""
    query = load(ChangesQuery, request.args.to_dict())
    return jsonify(messages.changes(current_user, chat_id, query.after, query.limit))


@api.patch("/chats/<id:chat_id>/messages/<id:msg_id>")
@login_required
def edit(chat_id, msg_id):
    """Edit one's own text message within the edit window."""
    text = _body(EditIn).text
    return jsonify(message=messages.edit_message(current_user, chat_id, msg_id, text))


@api.get("/chats/<id:chat_id>/messages/<id:msg_id>/versions")
@login_required
def versions(chat_id, msg_id):
    """Every text an edited message has had, oldest first."""
    return jsonify(messages.message_versions(current_user, chat_id, msg_id))


@api.post("/chats/<id:chat_id>/messages/<id:msg_id>/forward")
@login_required
def forward(chat_id, msg_id):
    """Send a copy of a message to another of one's chats (idempotent by ``client_msg_id``)."""
    data = _body(ForwardIn)
    message, created = messages.forward_message(current_user, chat_id, msg_id, data.to_chat_id,
                                                data.client_msg_id)
    return jsonify(message=message, created=created), 201 if created else 200


@api.route("/chats/<id:chat_id>/messages/<id:msg_id>/pin", methods=["PUT", "DELETE"])
@login_required
def pin(chat_id, msg_id):
    """PUT: pin a message to the chat; DELETE: unpin it (a group's owner and admins; both
    people of a private chat)."""
    return jsonify(message=messages.pin_message(current_user, chat_id, msg_id,
                                                on=request.method == "PUT"))


@api.get("/chats/<id:chat_id>/pins")
@login_required
def pins(chat_id):
    """The chat's pinned messages, the latest pinned first."""
    return jsonify(messages.pinned_messages(current_user, chat_id))


@api.route("/chats/<id:chat_id>/messages/<id:msg_id>/reactions/<emoji>",
           methods=["PUT", "DELETE"])
@login_required
def reaction(chat_id, msg_id, emoji):
    """PUT an emoji on a message, or DELETE one's own (doing either again changes nothing)."""
    emoji = load(ReactionIn, {"emoji": emoji}).emoji
    return jsonify(message=messages.react(current_user, chat_id, msg_id, emoji,
                                          on=request.method == "PUT"))


@api.post("/chats/<id:chat_id>/files")
@login_required
def post_file(chat_id):
    """Send a file (multipart: ``file``, ``client_msg_id``); its kind comes from its content."""
    upload = request.files.get("file")
    if upload is None:
        raise ValidationError("Send the file as the multipart field 'file'.",
                              code="missing_file", field="file")
    form = load(UploadIn, request.form.to_dict())
    message, created = files.post_file(current_user, chat_id, upload.stream, upload.filename,
                                       form.client_msg_id)
    return jsonify(message=message, created=created), 201 if created else 200


@api.post("/chats/<id:chat_id>/read")
@login_required
def mark_read(chat_id):
    """Mark the chat read up to a position."""
    position = messages.mark_read(current_user, chat_id, _body(ReadPositionIn).up_to_seq)
    return jsonify(read_seq=position)


@api.get("/chats/<id:chat_id>/messages/<id:msg_id>/receipts")
@login_required
def receipts(chat_id, msg_id):
    """Who has read a message, and how many members have not."""
    return jsonify(messages.receipts(current_user, chat_id, msg_id))


@api.post("/chats/<id:chat_id>/messages/<id:msg_id>/recall")
@login_required
def recall(chat_id, msg_id):
    """Recall a message (the sender within the window; owner and admins any time)."""
    return jsonify(message=messages.recall_message(current_user, chat_id, msg_id))
