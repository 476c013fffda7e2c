/* chatapp: a person's profile card. Clicking (or pressing Enter/Space on) anything marked
 * data-user-card="<user_id>" (a name or avatar in a conversation, the private chat's header,
 * member lists) opens a small card beside it: avatar, name, presence (online, or when last
 * seen, by times.js), and what one can do: "Message" a friend (POST /api/chats/private),
 * "Add friend" (POST /api/friend-requests), "Request sent", or a link to one's own profile.
 * The card is a non-modal dialog: focus moves into it, Escape closes it and gives focus back
 * to what opened it, a click outside closes it. Everything it shows from the server is text.
 */
import { csrfToken } from "./api.js";
import { el } from "./dom.js";
import { errorText, t } from "./strings.js";
import { timeNode, when } from "./times.js";

var card = null;      // the open card (one at a time)
var opener = null;    // what opened it, to give focus back
var loading = null;   // the AbortController of the profile being fetched


function api(method, url, body) {
  var headers = { Accept: "application/json" };
  if (body) {
    headers["Content-Type"] = "application/json";
    headers["X-CSRFToken"] = csrfToken();
  }
  return fetch(url, {
    method: method, credentials: "same-origin", headers: headers,
    body: body ? JSON.stringify(body) : undefined,
    signal: loading ? loading.signal : undefined,
  }).then(function (response) {
    return response.json().catch(function () { return {}; }).then(function (data) {
      if (!response.ok) throw (data && data.error) || { message: t("profile_failed") };
      return data;
    });
  });
}

function close(giveFocusBack) {
  if (loading) loading.abort();
  loading = null;
  if (!card) return;
  card.remove();
  card = null;
  var back = opener;
  opener = null;
  if (back && back.isConnected) back.setAttribute("aria-expanded", "false");
  if (giveFocusBack && back && back.isConnected) back.focus();
}

/** Beside the trigger, kept inside the window (CSSOM only: the CSP forbids style attributes). */
function place(trigger) {
  var box = trigger.getBoundingClientRect();
  var width = card.offsetWidth, height = card.offsetHeight;
  var left = Math.min(Math.max(8, box.left), window.innerWidth - width - 8);
  var top = box.bottom + 6;
  if (top + height > window.innerHeight - 8) top = Math.max(8, box.top - height - 6);
  card.style.left = Math.max(8, left) + "px";
  card.style.top = top + "px";
}

function presenceLine(user) {
  var line = el("p", "profile-card-presence muted small");
  line.setAttribute("data-testid", "profile-presence");
  if (user.online) {
    line.classList.add("is-online");
    line.textContent = t("online");
  } else if (user.last_seen) {
    var shown = when(user.last_seen, "auto");
    var parts = t("last_seen", { time: "\u0000" }).split("\u0000");
    var time = timeNode(user.last_seen, "auto");
    line.append(parts[0], time, parts[1] || "");
    if (shown) line.title = shown.title;
  } else {
    line.textContent = t("offline");
  }
  return line;
}

function actionButton(label, cls) {
  var b = el("button", "btn btn-sm" + (cls ? " " + cls : ""), label);
  b.type = "button";
  return b;
}

function status(text) {
  var s = el("p", "profile-card-error small", text);
  s.setAttribute("role", "alert");
  return s;
}

function actions(user) {
  var box = el("div", "profile-card-actions");
  var note = el("div");
  if (user.relation === "self") {
    var mine = el("a", "btn btn-sm btn-ghost", t("your_profile"));
    mine.href = (document.querySelector(".topnav a.me") || {}).href || "/profile";
    box.append(mine);
  } else if (user.relation === "friend") {
    var message = actionButton(t("profile_message"));
    message.setAttribute("data-testid", "profile-message");
    message.addEventListener("click", function () {
      message.disabled = true;
      api("POST", "/api/chats/private", { user_id: user.user_id }).then(function (data) {
        var url = (data.chat && data.chat.url) || "/chats/" + data.chat.chat_id;
        close(false);
        // In the sidebar already: let switcher.js swap the chat in without a reload.
        var link = document.querySelector('[data-sidebar] a[data-chat-id="' + data.chat.chat_id + '"]');
        if (link) link.click();
        else window.location.assign(url);
      }).catch(function (error) {
        message.disabled = false;
        note.replaceChildren(status(errorText(error) || t("profile_failed")));
      });
    });
    box.append(message);
  } else if (user.relation === "none") {
    var add = actionButton(t("add_friend"));
    add.setAttribute("data-testid", "profile-add-friend");
    add.addEventListener("click", function () {
      add.disabled = true;
      api("POST", "/api/friend-requests", { user_id: user.user_id }).then(function () {
        var sent = el("span", "muted small", t("request_sent"));
        sent.setAttribute("data-testid", "profile-request-sent");
        sent.setAttribute("role", "status");
        sent.tabIndex = -1;
        add.replaceWith(sent);
        sent.focus();
      }).catch(function (error) {
        add.disabled = false;
        note.replaceChildren(status(errorText(error) || t("profile_failed")));
      });
    });
    box.append(add);
  } else if (user.relation === "request_sent") {
    var pending = el("span", "muted small", t("request_sent"));
    pending.setAttribute("data-testid", "profile-request-sent");
    box.append(pending);
  } else if (user.relation === "request_received") {
    var answer = el("a", "btn btn-sm", t("answer_request"));
    answer.href = "/friends";
    box.append(el("span", "muted small", t("request_received")), answer);
  }
  return [box, note];
}

function fill(user) {
  var head = el("div", "profile-card-head");
  var img = el("img", "avatar avatar-md");
  img.src = user.avatar_url;
  img.alt = "";
  img.width = 48;
  img.height = 48;
  var who = el("div", "profile-card-who");
  var name = el("h2", "profile-card-name", user.user_name);
  name.id = "profile-card-name";
  who.append(name, presenceLine(user));
  head.append(img, who);
  card.setAttribute("aria-labelledby", name.id);
  card.removeAttribute("aria-label");
  card.replaceChildren(closeButton(), head);
  actions(user).forEach(function (node) { card.append(node); });
  var first = card.querySelector(".profile-card-actions .btn, .profile-card-actions a");
  (first || card).focus();
}

function closeButton() {
  var b = el("button", "btn btn-ghost btn-icon profile-card-close");
  b.type = "button";
  b.setAttribute("aria-label", t("close"));
  b.append(el("span", null, "×"));
  b.firstChild.setAttribute("aria-hidden", "true");
  b.addEventListener("click", function () { close(true); });
  return b;
}

function open(trigger) {
  var userId = trigger.getAttribute("data-user-card");
  if (!/^\d+$/.test(userId || "")) return;
  var again = card && opener === trigger;
  close(false);
  if (again) return;  // a second click on the same name closes its card
  opener = trigger;
  trigger.setAttribute("aria-expanded", "true");
  card = el("div", "profile-card card");
  card.setAttribute("role", "dialog");
  card.setAttribute("data-testid", "profile-card");
  card.setAttribute("aria-label", t("profile_of", { name: trigger.textContent.trim() || "" }));
  card.tabIndex = -1;
  card.append(el("p", "muted small", "…"));
  document.body.append(card);
  place(trigger);
  card.focus();
  loading = new AbortController();
  var mine = card;
  api("GET", "/api/users/" + userId).then(function (user) {
    if (card !== mine) return;
    fill(user);
    place(trigger);
  }).catch(function (error) {
    if (card !== mine || (error && error.name === "AbortError")) return;
    card.replaceChildren(closeButton(), status(errorText(error) || t("profile_failed")));
    card.focus();
  });
}

/** Open a profile card from any [data-user-card], by mouse or keyboard (event delegation). */
export function install() {
  document.addEventListener("click", function (event) {
    var trigger = event.target.closest && event.target.closest("[data-user-card]");
    if (trigger && trigger.closest("a[href]")) trigger = null;  // a link (a search hit) stays one
    if (trigger && !(card && card.contains(trigger))) {
      event.preventDefault();
      open(trigger);
    } else if (card && !card.contains(event.target)) {
      close(false);
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && card) {
      event.preventDefault();
      event.stopPropagation();
      close(true);
      return;
    }
    if ((event.key === "Enter" || event.key === " ") && event.target.matches
        && event.target.matches("[data-user-card]")) {
      event.preventDefault();
      open(event.target);
    }
  }, true);

  // Focus leaving the card (Tab past its end) closes it, as a click outside does.
  document.addEventListener("focusin", function (event) {
    if (card && !card.contains(event.target) && event.target !== opener) close(false);
  });
  window.addEventListener("resize", function () { close(false); });
}
