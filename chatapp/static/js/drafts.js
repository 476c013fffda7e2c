/* chatapp drafts: what someone typed in a chat and has not sent yet, kept in this browser per
 * person and chat (localStorage "chatapp.draft.<user_id>.<chat_id>"), so it is still there
 * after switching chats or reloading (used by chat/composer.js). Sending clears it.
 * Logging out with the top bar's form forgets every draft of that person, and only theirs.
 * Without storage (disabled, full) there are no drafts, and nothing fails.
 */
var PREFIX = "chatapp.draft.";

function key(userId, chatId) {
  return PREFIX + userId + "." + chatId;
}

/** The draft of ``userId`` in ``chatId``, or "". */
export function load(userId, chatId) {
  try {
    return window.localStorage.getItem(key(userId, chatId)) || "";
  } catch (e) {
    return "";
  }
}

/** Keep ``text`` as the draft; blank text removes it. */
export function save(userId, chatId, text) {
  try {
    if (text.trim()) window.localStorage.setItem(key(userId, chatId), text);
    else window.localStorage.removeItem(key(userId, chatId));
  } catch (e) { /* not kept: the text is still in the composer */ }
}

/** Forget every draft of ``userId``. */
export function forget(userId) {
  var mine = PREFIX + userId + ".";
  try {
    var store = window.localStorage;
    for (var i = store.length - 1; i >= 0; i--) {
      var name = store.key(i);
      if (name && name.indexOf(mine) === 0) store.removeItem(name);
    }
  } catch (e) { /* nothing was kept either */ }
}

/** Forget the drafts of whoever logs out with the top bar's form. */
export function install() {
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.matches && form.matches("form[data-logout]")) forget(form.getAttribute("data-user-id"));
  }, true);
}
