/* chatapp mentions: a message names members by id with <@user_id> tokens (<@all>: everyone in
 * a group), so renaming someone breaks nothing (docs/api.md, "Mentions").
 *
 * - Drawing: the tokens of a drawn text become "@name" chips with the person's current name
 *   (the message's `mentions`); the reader's own, and @all, stand out.
 * - Writing: typing "@" and the start of a name in the composer offers the chat's members
 *   (a listbox under it: arrows, Enter or Tab, Escape); a name picked is written "@name", and
 *   turned into its token when the message goes. Editing turns tokens back into names.
 */
import { el } from "../dom.js";
import { t } from "../strings.js";

const TOKEN = /<@(\d{1,19}|all)>/g;

function names(m) {
  const byId = new Map();
  (m.mentions || []).forEach((u) => byId.set(String(u.user_id), u.user_name));
  return byId;
}

/** Whether message ``m`` mentions the reader ``meId`` (by id, or @all from someone else). */
export function mentionsMe(m, meId) {
  if (!m || m.recalled) return false;
  if (m.mentions_all && m.sender.user_id !== meId) return true;
  return (m.mentions || []).some((u) => u.user_id === meId);
}

/** ``text`` with each token as "@name" (previews, quotes, notifications). ``nameOf(id)``
 * names people the message itself does not list; a token nobody names stays as written. */
export function mentionText(text, m, nameOf) {
  const known = names(m || {});
  return String(text || "").replace(TOKEN, (token, id) => {
    if (id === "all") return (m && m.mentions_all) ? "@" + t("everyone") : token;
    const name = known.get(id) || (nameOf && nameOf(Number(id)));
    return name ? "@" + name : token;
  });
}

/** Turn the tokens in the drawn text under ``root`` into chips (not inside code or links). */
export function mentionChips(root, m, meId) {
  const known = names(m);
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const found = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.parentElement.closest("code, pre, a") && node.nodeValue.indexOf("<@") !== -1) {
      found.push(node);
    }
  }
  found.forEach((node) => {
    const text = node.nodeValue;
    const parts = document.createDocumentFragment();
    let last = 0;
    text.replace(TOKEN, (token, id, offset) => {
      const everyone = id === "all" && m.mentions_all;
      const name = everyone ? t("everyone") : known.get(id);
      if (!name) return token;  // not a member when it was written: the text as typed
      if (offset > last) parts.append(text.slice(last, offset));
      const mine = everyone ? m.sender.user_id !== meId : Number(id) === meId;
      const chip = el("span", "mention" + (mine ? " mention-me" : ""), "@" + name);
      if (!everyone) chip.setAttribute("data-user-card", id);  // profile-card.js
      parts.append(chip);
      last = offset + token.length;
      return token;
    });
    if (last === 0) return;
    if (last < text.length) parts.append(text.slice(last));
    node.replaceWith(parts);
  });
}

/* --- writing -------------------------------------------------------------------------------- */

const ESCAPE = /[.*+?^${}()|[\]\\]/g;

/** "@name" of each person picked (``picked``: name → id) back into tokens. */
export function encodeMentions(text, picked) {
  let out = text;
  picked.forEach((id, name) => {
    const pattern = new RegExp("@" + name.replace(ESCAPE, "\\$&") + "(?![\\p{L}\\p{N}_.-])", "gu");
    out = out.replace(pattern, "<@" + id + ">");
  });
  return out;
}

/** A stored text made editable: tokens as "@name", and the names to turn back on saving. */
export function decodeMentions(m) {
  const picked = new Map();
  (m.mentions || []).forEach((u) => picked.set(u.user_name, u.user_id));
  if (m.mentions_all) picked.set(t("everyone"), "all");
  return { text: mentionText(m.msg_text, m), picked: picked };
}

/**
 * The member suggestions under the composer. ``app`` gives: textarea, box (the listbox's
 * container), people() → [{user_id, user_name}] to offer (the chat's members but the reader,
 * and "everyone" when the reader may), and picked (a Map name → id the composer keeps).
 * Returns {onKeydown(event) → true if it took the key, update(), close()}.
 */
export function mentionPicker(app) {
  const list = el("ul", "mention-list");
  list.id = "mention-list";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", t("mention_someone"));
  list.hidden = true;
  app.box.append(list);
  app.textarea.setAttribute("aria-controls", list.id);
  app.textarea.setAttribute("aria-autocomplete", "list");
  let options = [];
  let active = 0;
  let start = -1;  // where the "@" being completed is in the text

  function close() {
    list.hidden = true;
    list.replaceChildren();
    options = [];
    start = -1;
    app.textarea.setAttribute("aria-expanded", "false");
    app.textarea.removeAttribute("aria-activedescendant");
  }

  function show() {
    list.replaceChildren(...options.map((person, i) => {
      const li = el("li", "mention-option" + (i === active ? " is-active" : ""), "@" + person.user_name);
      li.id = "mention-option-" + i;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", i === active ? "true" : "false");
      li.addEventListener("mousedown", (event) => {  // before the textarea loses the focus
        event.preventDefault();
        pick(i);
      });
      return li;
    }));
    list.hidden = false;
    app.textarea.setAttribute("aria-expanded", "true");
    app.textarea.setAttribute("aria-activedescendant", "mention-option-" + active);
  }

  /** Look at the word being typed: "@" and the start of a name opens the suggestions. */
  function update() {
    const caret = app.textarea.selectionStart;
    const before = app.textarea.value.slice(0, caret);
    const match = /(^|\s)@([\p{L}\p{N}_.-]{0,50})$/u.exec(before);
    if (!match) {
      close();
      return;
    }
    const query = match[2].toLocaleLowerCase();
    options = app.people().filter((p) => p.user_name.toLocaleLowerCase().startsWith(query)).slice(0, 8);
    if (!options.length) {
      close();
      return;
    }
    start = caret - match[2].length - 1;
    active = Math.min(active, options.length - 1);
    show();
  }

  function pick(i) {
    const person = options[i];
    if (!person || start < 0) return;
    const value = app.textarea.value;
    const caret = app.textarea.selectionStart;
    const inserted = "@" + person.user_name + " ";
    app.textarea.value = value.slice(0, start) + inserted + value.slice(caret);
    const at = start + inserted.length;
    app.textarea.setSelectionRange(at, at);
    app.picked.set(person.user_name, person.user_id);
    close();
    app.textarea.dispatchEvent(new Event("input"));
  }

  function onKeydown(event) {
    if (list.hidden || event.isComposing) return false;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      active = (active + (event.key === "ArrowDown" ? 1 : options.length - 1)) % options.length;
      show();
    } else if (event.key === "Enter" || event.key === "Tab") {
      pick(active);
    } else if (event.key === "Escape") {
      close();
    } else {
      return false;
    }
    event.preventDefault();
    return true;
  }

  app.textarea.addEventListener("blur", () => setTimeout(close, 150));
  return { onKeydown: onKeydown, update: update, close: close };
}
