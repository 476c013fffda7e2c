"""System notices: the chat's own record of changes ("alice added bob").

A notice is a message of kind ``system``; its msg_text is a small JSON object naming what
happened and who was involved (ids and the names at the time), so clients can show it in the
reader's language. ``KINDS`` is the one catalog of their sentences: pages say them with
``sentence``, scripts get them through ``i18n.js_strings``, and ``describe`` gives the English
one that the JSON API and exports carry.
"""

import json

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

# Kind -> its sentence; the placeholders are actor, target and name.
KINDS = {
    "group_created": _l("%(actor)s created the group “%(name)s”"),
    "chat_renamed": _l("%(actor)s renamed the group to “%(name)s”"),
    "member_added": _l("%(actor)s added %(target)s"),
    "member_removed": _l("%(actor)s removed %(target)s"),
    "member_left": _l("%(actor)s left"),
    "admin_granted": _l("%(actor)s made %(target)s an admin"),
    "admin_revoked": _l("%(actor)s made %(target)s a member"),
    "ownership_transferred": _l("%(actor)s made %(target)s the owner"),
}
# A kind this server does not know (written by a newer version) still says who did something.
UNKNOWN = _l("%(actor)s changed the group")


def _person(user) -> dict:
    return {"user_id": user.user_id, "user_name": user.user_name}


def encode(kind: str, actor, target=None, name: str | None = None) -> str:
    """The msg_text of a notice."""
    if kind not in KINDS:
        raise ValueError(f"unknown notice kind {kind!r}")
    notice: dict = {"kind": kind, "actor": _person(actor)}
    if target is not None:
        notice["target"] = _person(target)
    if name is not None:
        notice["name"] = name
    return _dump(notice)


def _dump(notice: dict) -> str:
    return json.dumps(notice, ensure_ascii=False, separators=(",", ":"))


def decode(msg_text: str) -> dict:
    return json.loads(msg_text)


def mentions_pattern(user_id: int) -> str:
    """A SQL LIKE pattern matching the msg_text of notices that name ``user_id``."""
    return f'%"user_id":{int(user_id)},%'


def renamed(msg_text: str, user_id: int, name: str) -> str:
    """The notice with ``user_id`` (actor or target) named ``name`` instead."""
    notice = decode(msg_text)
    for role in ("actor", "target"):
        if notice.get(role, {}).get("user_id") == user_id:
            notice[role]["user_name"] = name
    return _dump(notice)


def sentence(notice: dict | None) -> str:
    """The notice in the current language (English outside a request), as plain text."""
    notice = notice or {}
    text = KINDS.get(notice.get("kind"), UNKNOWN)
    return str(text) % {
        "actor": (notice.get("actor") or {}).get("user_name", ""),
        "target": (notice.get("target") or {}).get("user_name", ""),
        "name": notice.get("name", ""),
    }


def describe(notice: dict) -> str:
    """The notice as an English sentence (plain text, never markup), whatever the reader's
    language: the JSON API and exports speak English."""
    with force_locale("en"):
        return sentence(notice)
