"""History: pages of a chat's messages by position, and catching up after a reconnect."""

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ... import payloads
from ...access import access_chat, message_in
from ...errors import NotFound
from ...extensions import db
from ...limits import CATCH_UP_PAGE, HISTORY_PAGE, HISTORY_PAGE_MAX
from ...models import Message, User
from .changes import changes


def history(user: User, chat_id, *, before=None, after=None, around=None,
            limit=HISTORY_PAGE) -> dict:
    """A page of a chat's messages, oldest first, by keyset on the chat's positions.

    Newest page (no cursor), ``before`` a position (scrolling up), ``after`` a position
    (catching up), or ``around`` a message id (jumping to a search hit). Each page is one index
    range scan on (chat_id, seq): as fast at depth 1,000,000 as at the top.
    """
    membership = access_chat(user, chat_id)
    limit = max(1, min(int(limit), HISTORY_PAGE_MAX))
    base = (select(Message).where(Message.chat_id == membership.chat_id)
            .options(joinedload(Message.sender),
                     selectinload(Message.reply_to).joinedload(Message.sender),
                     selectinload(Message.forwarded_from)))

    def older(than, count):
        rows = list(db.session.scalars(base.where(Message.seq < than)
                                       .order_by(Message.seq.desc()).limit(count + 1)))
        return rows[:count][::-1], len(rows) > count

    def newer(than, count, inclusive=False):
        bound = Message.seq >= than if inclusive else Message.seq > than
        rows = list(db.session.scalars(base.where(bound).order_by(Message.seq).limit(count + 1)))
        return rows[:count], len(rows) > count

    if after is not None:
        messages, more_after = newer(after, limit)
        more_before = after > 0 and messages_exist(membership.chat_id, after)
    elif around is not None:
        anchor = message_in(membership.chat_id, around)
        earlier, more_before = older(anchor.seq, limit // 2)
        later, more_after = newer(anchor.seq, limit - len(earlier), inclusive=True)
        messages = earlier + later
    else:
        top = before if before is not None else membership.chat.last_seq + 1
        messages, more_before = older(top, limit)
        more_after = before is not None and before <= membership.chat.last_seq
    return {
        "messages": payloads.messages(messages),
        "has_more_before": more_before,
        "has_more_after": more_after,
        "last_seq": membership.chat.last_seq,
        # Read with the page (before its messages): catch up on changes from here.
        "last_change": membership.chat.last_change,
        "read_seq": membership.last_read_seq,
    }




def catch_up(user: User, positions) -> list[dict]:
    """What the user missed in each chat after their last contiguous position there.

    ``positions`` is (chat_id, after, changed_after) triples. For each chat the user is a
    member of: up to ``CATCH_UP_PAGE`` messages with ``seq > after`` in order, and whether more
    follow (fetch those with history ``?after=``). With ``changed_after`` (not None), also
    ``changed``: up to ``CATCH_UP_PAGE`` messages edited, recalled or reacted to after that
    change position, with ``last_change`` and ``has_more_changes`` (``changes``). A chat the
    user is not in answers ``chat_not_found``, exactly like one that does not exist.
    """
    results, seen = [], set()
    for chat_id, after, changed_after in positions:
        if chat_id in seen:
            continue
        seen.add(chat_id)
        try:
            page = history(user, chat_id, after=after, limit=CATCH_UP_PAGE)
        except NotFound as error:
            results.append({"chat_id": chat_id, "error": error.to_dict()})
            continue
        result = {"chat_id": chat_id, "messages": page["messages"],
                  "has_more_after": page["has_more_after"], "last_seq": page["last_seq"],
                  "last_change": page["last_change"]}
        if changed_after is not None:
            changed = changes(user, chat_id, changed_after, limit=CATCH_UP_PAGE)
            result.update(changed=changed["messages"], last_change=changed["last_change"],
                          has_more_changes=changed["has_more"])
        results.append(result)
    return results


def messages_exist(chat_id: int, up_to_seq: int) -> bool:
    return db.session.scalar(select(Message.msg_id).where(
        Message.chat_id == chat_id, Message.seq <= up_to_seq).limit(1)) is not None

