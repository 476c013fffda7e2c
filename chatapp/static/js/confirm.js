/* chatapp confirmations: a destructive action asks first, in a small dialog of the page
 * (confirm(), for scripts). It is a native modal <dialog>: the focus starts on Cancel and stays inside,
 * Escape or a click beside it cancels, and the focus goes back where it was.
 *
 * A page form that should ask carries data-confirm (the question), and may carry
 * data-confirm-detail (a sentence under it) and data-confirm-yes (the confirming button's word).
 * Without scripts such a form is sent at once, as before. Words come from strings.js; the text
 * goes in as text only.
 */
import { el } from "./dom.js";
import { t } from "./strings.js";

var ui = null;
var waiting = null;  // {resolve, opener} while the dialog is open


function build() {
  var dialog = el("dialog", "confirm-dialog");
  dialog.setAttribute("data-testid", "confirm");
  dialog.setAttribute("aria-labelledby", "confirm-question");
  dialog.setAttribute("aria-describedby", "confirm-detail");
  var question = el("h2", "confirm-question");
  question.id = "confirm-question";
  var detail = el("p", "confirm-detail muted");
  detail.id = "confirm-detail";
  var no = el("button", "btn btn-ghost", t("cancel"));
  var yes = el("button", "btn btn-danger-solid");
  no.type = yes.type = "button";
  var row = el("div", "confirm-actions");
  row.append(no, yes);
  dialog.append(question, detail, row);
  document.body.append(dialog);
  no.addEventListener("click", function () { finish(false); });
  yes.addEventListener("click", function () { finish(true); });
  dialog.addEventListener("close", function () {  // Escape, among others
    if (!dialog.open) finish(false);  // not a late one from before the dialog opened again
  });
  dialog.addEventListener("click", function (event) {
    if (event.target === dialog) finish(false);  // the backdrop: the dialog's own box is padded
  });
  return { dialog: dialog, question: question, detail: detail, no: no, yes: yes };
}

function finish(answer) {
  if (!waiting) return;
  var was = waiting;
  waiting = null;
  if (ui.dialog.open) ui.dialog.close();
  if (was.opener && was.opener.isConnected && was.opener.focus) {
    was.opener.focus({ preventScroll: true });
  }
  was.resolve(answer);
}

/** Ask ``{question, detail, yes}``: a promise of true (confirmed) or false (cancelled). */
export function confirm(options) {
  if (!ui) ui = build();
  finish(false);  // one question at a time
  ui.question.textContent = options.question;
  ui.detail.textContent = options.detail || "";
  ui.detail.hidden = !options.detail;
  ui.yes.textContent = options.yes;
  return new Promise(function (resolve) {
    waiting = { resolve: resolve, opener: document.activeElement };
    ui.dialog.showModal();
    ui.no.focus();
  });
}

// The same form after a live refresh replaced the page's <main> while the dialog was open.
function current(form) {
  if (form.isConnected) return form;
  var action = form.getAttribute("action");
  var question = form.getAttribute("data-confirm");
  return Array.prototype.find.call(document.querySelectorAll("form[data-confirm]"), function (f) {
    return f.getAttribute("action") === action && f.getAttribute("data-confirm") === question;
  }) || null;
}

/** Hold every form[data-confirm] until the person confirms. Capturing, so the form is held
 * before anything else (refresh.js) sees it being sent. */
export function install() {
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-confirm]")) return;
    if (form.chatappConfirmed) {
      form.chatappConfirmed = false;
      return;
    }
    event.preventDefault();
    confirm({
      question: form.getAttribute("data-confirm"),
      detail: form.getAttribute("data-confirm-detail"),
      yes: form.getAttribute("data-confirm-yes")
        || (event.submitter ? event.submitter.textContent.trim() : ""),
    }).then(function (yes) {
      var target = yes ? current(form) : null;
      if (!target) return;
      target.chatappConfirmed = true;
      target.requestSubmit();
    });
  }, true);
}
