/* chatapp message store: one chat's messages, once per msg_id and in seq order, whatever
 * order they come in (the first page, `message_created`, acks, history pages, catch-up after a
 * reconnect; docs/api.md, "Ordering and catch-up").
 *
 * A record is {m, node}: the message as the server last sent it, and its drawn node, which
 * conversation.js sets (the store does not draw). Live messages that arrive while an older
 * stretch is shown are held apart until the pages below them are in.
 */

export function messageStore(chatId) {
  const byId = new Map();  // msg_id -> record
  let order = [];          // the same records, by seq
  const held = new Map();  // msg_id -> a live message held while showing an older stretch

  function seqIndex(seq) {  // where a message with this seq goes in `order`
    let lo = 0;
    let hi = order.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (order[mid].m.seq < seq) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  return {
    /** Keep one copy of ``m``: the latest. A copy with a higher ``change_seq`` (an edit, a
     * recall, reactions: docs/api.md, "Catching up on changes") replaces the one held; an
     * older or the same copy, from a page read earlier or a second tab's event, does not. The
     * record if it is new or changed (to be drawn anew), else null. Other chats are ignored. */
    put(m) {
      if (!m || m.chat_id !== chatId) return null;
      const had = byId.get(m.msg_id);
      if (had) {
        if ((m.change_seq || 0) <= (had.m.change_seq || 0)) return null;
        had.m = m;
        return had;
      }
      const record = { m, node: null };
      byId.set(m.msg_id, record);
      order.splice(seqIndex(m.seq), 0, record);
      return record;
    },
    get: (msgId) => byId.get(msgId),
    has: (msgId) => byId.has(msgId),
    /** The records in seq order (do not change the array). */
    records: () => order,
    oldest: () => (order.length ? order[0] : null),
    newest: () => (order.length ? order[order.length - 1] : null),
    highestSeq: () => (order.length ? order[order.length - 1].m.seq : 0),
    /** The last seq before the first gap: what `?after=` starts from. A gap is a message in
     * flight or missed while away; fetching after this position fills it. */
    contiguousHigh() {
      if (!order.length) return 0;
      for (let i = 0; i + 1 < order.length; i++) {
        if (order[i + 1].m.seq !== order[i].m.seq + 1) return order[i].m.seq;
      }
      return order[order.length - 1].m.seq;
    },
    clear() {
      order = [];
      byId.clear();
    },
    hold: (m) => held.set(m.msg_id, m),
    heldMessages: () => Array.from(held.values()),
    /** The held messages, no longer held. */
    releaseHeld() {
      const list = Array.from(held.values());
      held.clear();
      return list;
    },
  };
}
