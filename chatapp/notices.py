"""System notices: the chat's own record of changes ("alice added bob").

A notice is a message of kind ``system``; its msg_text is a small JSON object naming what
happened and who was involved (ids and the names at the time), so clients can show it in the
reader's language. ``describe`` gives the English sentence.
"""

import json

KINDS = {
    "group_created": "{actor} created the group “{name}”",
    "chat_renamed": "{actor} renamed the group to “{name}”",
    "member_added": "{actor} added {target}",
    "member_removed": "{actor} removed {target}",
    "member_left": "{actor} left",
    "admin_granted": "{actor} made {target} an admin",
    "admin_revoked": "{actor} made {target} a member",
    "ownership_transferred": "{actor} made {target} the owner",
}


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


def describe(notice: dict) -> str:
    """The notice as an English sentence (plain text, never markup)."""
    return KINDS[notice["kind"]].format(
        actor=notice["actor"]["user_name"],
        target=notice.get("target", {}).get("user_name", ""),
        name=notice.get("name", ""),
    )
