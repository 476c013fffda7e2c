/* chatapp image viewer: a picture of a conversation opens over the page, not as a raw file in
 * a new tab.
 *
 * Links marked data-viewer (chat/view.js draws one around each image's thumbnail) open a modal
 * <dialog> with the full image, its file's name and a download link. ← and → (or the buttons)
 * go to the previous and next image among the messages loaded on the page; Escape, the close
 * button or a click beside the image closes it, and the focus goes back to the link that
 * opened it. The dialog keeps the focus inside while open (showModal makes the page inert).
 *
 * It listens on the document (event delegation), so images drawn later need nothing. A click
 * with a modifier key or another button (new tab, save) stays the browser's. Nothing here is
 * built from strings: the name is set as text. Words come from strings.js.
 */
import { el } from "./dom.js";
import { t } from "./strings.js";

var LINKS = "a[data-viewer]";
var ui = null;        // the dialog's parts, built on first use
var current = null;   // the link of the image shown
var opener = null;    // the link that opened the viewer: the focus goes back to it


function iconButton(className, label, symbol, testId) {
  var button = el("button", "btn btn-ghost btn-icon " + className);
  button.type = "button";
  button.setAttribute("aria-label", label);
  button.title = label;
  button.setAttribute("data-testid", testId);
  var glyph = el("span", null, symbol);
  glyph.setAttribute("aria-hidden", "true");
  button.append(glyph);
  return button;
}

function build() {
  var dialog = el("dialog", "viewer");
  dialog.setAttribute("aria-labelledby", "viewer-name");
  dialog.setAttribute("data-testid", "image-viewer");
  var bar = el("div", "viewer-bar");
  var name = el("p", "viewer-name");
  name.id = "viewer-name";
  var position = el("p", "viewer-position muted small");
  position.setAttribute("data-testid", "viewer-position");
  var download = el("a", "btn btn-ghost btn-sm viewer-download", t("download"));
  var close = iconButton("viewer-close", t("close"), "×", "viewer-close");
  bar.append(name, position, download, close);
  var stage = el("div", "viewer-stage");
  var previous = iconButton("viewer-step", t("previous_image"), "‹", "viewer-previous");
  var next = iconButton("viewer-step", t("next_image"), "›", "viewer-next");
  var figure = el("div", "viewer-figure");
  var img = el("img", "viewer-img");
  img.decoding = "async";
  figure.append(img);
  stage.append(previous, figure, next);
  dialog.append(bar, stage);
  document.body.append(dialog);

  close.addEventListener("click", function () { dialog.close(); });
  previous.addEventListener("click", function () { step(-1); });
  next.addEventListener("click", function () { step(1); });
  dialog.addEventListener("keydown", onKey);
  // A click on the dim space around the picture closes, as a click outside would.
  dialog.addEventListener("click", function (event) {
    if (event.target === dialog || event.target === stage || event.target === figure) dialog.close();
  });
  dialog.addEventListener("close", onClose);
  return {
    dialog: dialog, name: name, position: position, download: download, close: close,
    previous: previous, next: next, img: img,
  };
}

/** The images of the conversation loaded on the page, in their order. */
function gallery(link) {
  var scope = link.closest("[data-messages]") || document;
  return Array.prototype.slice.call(scope.querySelectorAll(LINKS));
}

function nameOf(link) {
  var img = link.querySelector("img");
  return (img && img.alt) || link.getAttribute("download") || "";
}

function show(link) {
  current = link;
  var links = gallery(link);
  var index = links.indexOf(link);
  var name = nameOf(link);
  ui.name.textContent = name;
  ui.position.textContent = links.length > 1
    ? t("image_position", { index: index + 1, count: links.length }) : "";
  var url = link.getAttribute("href");
  ui.img.alt = name;
  ui.img.src = url;
  ui.download.href = url;
  ui.download.setAttribute("download", name);
  setEnabled(ui.previous, index > 0);
  setEnabled(ui.next, index >= 0 && index < links.length - 1);
}

// aria-disabled rather than disabled: a disabled button would drop the keyboard focus.
function setEnabled(button, enabled) {
  if (enabled) button.removeAttribute("aria-disabled");
  else button.setAttribute("aria-disabled", "true");
}

function step(delta) {
  if (!current) return;
  var links = gallery(current);
  var index = links.indexOf(current);
  if (index < 0) {  // its message was recalled meanwhile
    ui.dialog.close();
    return;
  }
  var target = links[index + delta];
  if (target) show(target);
}

function onKey(event) {
  if (event.key === "Escape") event.stopPropagation();  // the dialog closes; nothing else
  if (event.altKey || event.ctrlKey || event.metaKey) return;
  if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
    event.preventDefault();
    step(event.key === "ArrowLeft" ? -1 : 1);
  } else if (event.key === "Tab") {
    trapFocus(event);
  }
}

// Tab goes round the dialog's controls instead of leaving for the browser's own.
function trapFocus(event) {
  var controls = [ui.download, ui.close, ui.previous, ui.next];
  var first = controls[0];
  var last = controls[controls.length - 1];
  if (event.shiftKey && document.activeElement === first) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && document.activeElement === last) {
    event.preventDefault();
    first.focus();
  }
}

function onClose() {
  var back = opener;
  current = opener = null;
  ui.img.removeAttribute("src");  // a large image is not kept decoded behind the page
  if (back && back.isConnected) back.focus();
}

function open(link) {
  if (!ui) ui = build();
  opener = link;
  show(link);
  if (!ui.dialog.open) ui.dialog.showModal();
  ui.close.focus();
}

/** Open images in the viewer: one listener on the document for every data-viewer link. */
export function install() {
  document.addEventListener("click", function (event) {
    if (typeof HTMLDialogElement !== "function") return;  // then the link opens the file
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    var link = event.target.closest && event.target.closest(LINKS);
    if (!link) return;
    event.preventDefault();
    open(link);
  });
}
