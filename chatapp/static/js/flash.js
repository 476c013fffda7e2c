/* chatapp flashes from scripts: a sentence shown at the top of the page's <main>, as the
 * server's flashed messages are, now or on the next page the tab opens (sessionStorage). */

const KEY = "chatapp.notice";

/** Show ``text`` now. */
export function flash(text) {
  const main = document.getElementById("main");
  if (!main) return;
  let box = main.querySelector(".flashes");
  if (!box) {
    box = document.createElement("div");
    box.className = "flashes";
    box.setAttribute("role", "status");
    main.prepend(box);
  }
  const p = document.createElement("p");
  p.className = "flash flash-info";
  p.textContent = text;
  box.append(p);
}

/** Show ``text`` on the next page this tab opens. */
export function flashNext(text) {
  try { sessionStorage.setItem(KEY, text); } catch (e) { /* shown nowhere then */ }
}

/** Show what the page before left for this one. */
export function showStored() {
  try {
    const text = sessionStorage.getItem(KEY);
    if (text) {
      sessionStorage.removeItem(KEY);
      flash(text);
    }
  } catch (e) { /* storage disabled: nothing was stored either */ }
}
