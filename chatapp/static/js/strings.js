/* chatapp strings: everything a script shows a person, in the page's language.
 *
 * The catalog is chatapp/i18n.py (js_strings): base.html puts it in <head> as a JSON block
 * (#i18n-strings; data, never run, so the CSP allows it). There is no second copy here: a key
 * the block lacks shows as the key itself, which the tests catch. "%(name)s" placeholders are
 * filled as in Python.
 */

function readStrings() {
  const block = document.getElementById("i18n-strings");
  if (!block) return {};
  try {
    const parsed = JSON.parse(block.textContent);
    return parsed && typeof parsed === "object" ? parsed : {};
  } catch (e) {
    return {};
  }
}

const strings = readStrings();

/** The page's language ("en", "zh-Hans"). */
export const lang = document.documentElement.lang || undefined;

/** The string ``key`` in the page's language, its %(name)s filled from ``params``. */
export function t(key, params) {
  const text = strings[key];
  if (typeof text !== "string") return key;
  return text.replace(/%\((\w+)\)s/g, (all, name) =>
    params && params[name] !== undefined ? String(params[name]) : all);
}

/** A service error ({code, message}) for people: English pages keep the service's own, more
 * specific, message; other languages say it by its code when they know it (as the pages do,
 * chatapp.i18n.error_text). */
export function errorText(error) {
  if (!error) return "";
  const key = "error_" + error.code;
  const english = !lang || /^en\b/i.test(lang);
  if ((english && error.message) || typeof strings[key] !== "string") return error.message || t(key);
  return t(key);
}

/** "alice, bob, carol" in the page's language ("alice、bob、carol"). */
export function list(names) {
  if (window.Intl && Intl.ListFormat) {
    try {
      return new Intl.ListFormat(lang, { type: "conjunction", style: "narrow" }).format(names);
    } catch (e) { /* below */ }
  }
  return names.join(", ");
}
