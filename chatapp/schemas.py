"""Input schemas for the JSON API, Socket.IO payloads and multipart uploads (pydantic).

These are the one check of the input's shape: types, bounds and formats. Services receive
the validated values and check product rules only (who may, what exists, what text means).

``load`` turns any payload into a validated model or raises ``ValidationError`` with the code
``invalid_payload`` and one entry per problem, so bad input never reaches a service. A field
marked with ``Code`` keeps an error code of its own for a value of the right type that breaks
its rule (``invalid_client_msg_id``), the code clients were promised for that mistake.
"""

from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar

import emoji as emoji_data
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from pydantic import ValidationError as PydanticValidationError

from .errors import ValidationError
from .limits import (
    CHAT_NAME_MAX,
    FRIEND_NOTE_MAX,
    HISTORY_PAGE,
    HISTORY_PAGE_MAX,
    MSG_TEXT_MAX,
    SEARCH_PAGE,
    SEARCH_PAGE_MAX,
    SEARCH_QUERY_MAX,
    USER_EMAIL_MAX,
    USER_NAME_MAX,
)

Model = TypeVar("Model", bound=BaseModel)

# Every id and position is a signed 64-bit INTEGER in SQLite; a larger number cannot be stored
# or compared there, so it is refused here (and by the ``id`` URL converter) as invalid input.
MAX_ID = 2**63 - 1

# Bounds on the wire only; the services apply the product rules (minimum length, characters).
UserName = Annotated[str, StringConstraints(min_length=1, max_length=USER_NAME_MAX * 2)]
Password = Annotated[str, StringConstraints(min_length=1, max_length=1024)]
Email = Annotated[str, StringConstraints(max_length=USER_EMAIL_MAX * 2)]


@dataclass(frozen=True)
class Code:
    """Field metadata: a wrong value of the right type is the error ``code`` with ``message``."""

    code: str
    message: str


# Errors about the payload's shape rather than a value: these stay ``invalid_payload``.
_SHAPE_ERRORS = {"missing", "extra_forbidden", "model_type", "dict_type"}


class Schema(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class RegisterIn(Schema):
    user_name: UserName
    password: Password
    email: Email | None = None


class LoginIn(Schema):
    user_name: UserName
    password: Password
    remember: bool = False


class PasswordResetIn(Schema):
    name_or_email: Annotated[str, StringConstraints(min_length=1, max_length=USER_EMAIL_MAX * 2)]


class ProfileIn(Schema):
    email: Email | None = Field(default=None)
    locale: Literal["en", "zh"] | None = None


class PasswordChangeIn(Schema):
    current_password: Password
    new_password: Password


class AccountDeleteIn(Schema):
    password: Password


UserId = Annotated[int, Field(ge=1, le=MAX_ID)]
Note = Annotated[str, StringConstraints(max_length=FRIEND_NOTE_MAX * 2)]
ChatName = Annotated[str, StringConstraints(max_length=CHAT_NAME_MAX * 2)]
UserIds = Annotated[list[UserId], Field(max_length=500)]


class FriendRequestIn(Schema):
    user_id: UserId
    note: Note = ""


class PrivateChatIn(Schema):
    user_id: UserId


class GroupIn(Schema):
    chat_name: ChatName
    member_ids: UserIds = []


class RenameIn(Schema):
    chat_name: ChatName


class MembersIn(Schema):
    user_ids: UserIds


class RoleIn(Schema):
    privilege: Literal["admin", "member"]


class TransferIn(Schema):
    user_id: UserId


class NotifyIn(Schema):
    notify: Literal["all", "mentions", "none"]


ChatId = Annotated[int, Field(ge=1, le=MAX_ID)]
MsgId = Annotated[int, Field(ge=1, le=MAX_ID)]
Seq = Annotated[int, Field(ge=0, le=MAX_ID)]


# Trimming and the length in characters are the service's (``clean_text``); this bounds the
# raw string so that nothing huge is normalised.
MessageText = Annotated[str, StringConstraints(max_length=MSG_TEXT_MAX * 4)]
ClientMsgId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:\-]{1,64}$"), Code(
    "invalid_client_msg_id", "client_msg_id is 1 to 64 letters, digits or _ . : -")]


class SendMessageIn(Schema):
    chat_id: ChatId
    text: MessageText
    client_msg_id: ClientMsgId
    reply_to: MsgId | None = None


class PostMessageIn(Schema):
    text: MessageText
    client_msg_id: ClientMsgId
    reply_to: MsgId | None = None


class EditMessageIn(Schema):
    chat_id: ChatId
    msg_id: MsgId
    text: MessageText


class EditIn(Schema):
    text: MessageText


class ForwardMessageIn(Schema):
    chat_id: ChatId
    msg_id: MsgId
    to_chat_id: ChatId
    client_msg_id: ClientMsgId


class ForwardIn(Schema):
    to_chat_id: ChatId
    client_msg_id: ClientMsgId


def _one_emoji(value: str) -> str:
    if not emoji_data.is_emoji(value):
        raise ValueError("not exactly one emoji")
    return value


# Exactly one emoji as Unicode lists them (a flag, a skin tone or a family is one): no text,
# no two emoji, nothing around it.
Emoji = Annotated[str, StringConstraints(max_length=32), AfterValidator(_one_emoji),
                  Code("invalid_emoji", "A reaction is one emoji.")]


class ReactionIn(Schema):
    emoji: Emoji


class PinIn(Schema):
    chat_id: ChatId
    msg_id: MsgId
    on: bool = True


class ReactIn(Schema):
    chat_id: ChatId
    msg_id: MsgId
    emoji: Emoji
    on: bool = True


class UploadIn(Schema):
    """The form fields of a multipart upload beside its file (browsers may add others)."""

    model_config = ConfigDict(extra="ignore", strict=True, frozen=True)
    # A form without the field is the same mistake as an empty one: no usable id.
    client_msg_id: Annotated[ClientMsgId, Field(validate_default=True)] = ""


class MarkReadIn(Schema):
    chat_id: ChatId
    up_to_seq: Seq


class ReadPositionIn(Schema):
    up_to_seq: Seq


class RecallIn(Schema):
    chat_id: ChatId
    msg_id: MsgId


class TypingIn(Schema):
    chat_id: ChatId


CATCH_UP_CHATS_MAX = 500


class ChatPosition(Schema):
    chat_id: ChatId
    after: Seq
    # The chat's change position the client last caught up to; with it, the answer also
    # lists the older messages edited, recalled or reacted to since.
    changed_after: Seq | None = None


class CatchUpIn(Schema):
    chats: Annotated[list[ChatPosition], Field(max_length=CATCH_UP_CHATS_MAX)]


class HistoryQuery(BaseModel):
    """Query string of the history endpoint (strings from the URL are converted)."""

    model_config = ConfigDict(extra="forbid")
    before: Seq | None = None
    after: Seq | None = None
    around: MsgId | None = None
    limit: Annotated[int, Field(ge=1, le=HISTORY_PAGE_MAX)] = HISTORY_PAGE


class ChangesQuery(BaseModel):
    """Query string of the changes endpoint: messages changed after a change position."""

    model_config = ConfigDict(extra="forbid")
    after: Seq
    limit: Annotated[int, Field(ge=1, le=HISTORY_PAGE_MAX)] = HISTORY_PAGE_MAX


class SearchQuery(BaseModel):
    """Query string of the search endpoint."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    # Required unless ``mentions`` lists without words (the service says ``empty_query``).
    q: Annotated[str, StringConstraints(max_length=SEARCH_QUERY_MAX)] = ""
    chat_id: ChatId | None = None
    sender_id: UserId | None = None
    kind: Literal["text", "image", "audio", "video", "file", "files"] | None = None
    date_from: Annotated[str | None, Field(alias="from")] = None
    date_to: Annotated[str | None, Field(alias="to")] = None
    # The IANA zone the dates are days of; the service checks that it exists.
    time_zone: Annotated[str | None, Field(alias="tz")] = None
    # "me": the messages that mention you (without words to find).
    mentions: Literal["me"] | None = None
    before: MsgId | None = None
    limit: Annotated[int, Field(ge=1, le=SEARCH_PAGE_MAX)] = SEARCH_PAGE


def load(schema: type[Model], data: Any) -> Model:
    """Validate ``data`` against ``schema``; raise ``ValidationError`` listing the problems."""
    if not isinstance(data, dict):
        raise ValidationError("Expected a JSON object.", code="invalid_payload")
    try:
        return schema.model_validate(data)
    except PydanticValidationError as exc:
        errors = exc.errors(include_url=False, include_context=False, include_input=False)
        coded = _coded_error(schema, errors)
        if coded is not None:
            raise coded from None
        problems = [{"field": ".".join(str(p) for p in err["loc"]), "problem": err["msg"]}
                    for err in errors]
        raise ValidationError(
            "The request body is not valid.", code="invalid_payload", details=problems
        ) from None


def _coded_error(schema: type[BaseModel], errors: list) -> ValidationError | None:
    """The field's own error when the only problem is a wrong value of a ``Code`` field."""
    if len(errors) != 1 or len(errors[0]["loc"]) != 1:
        return None
    kind, name = errors[0]["type"], errors[0]["loc"][0]
    field = schema.model_fields.get(name) if isinstance(name, str) else None
    if field is None or kind in _SHAPE_ERRORS or kind.endswith("_type"):
        return None
    code = next((m for m in field.metadata if isinstance(m, Code)), None)
    return ValidationError(code.message, code=code.code, field=name) if code else None
