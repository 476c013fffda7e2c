/* chatapp DOM building: elements made one by one, text set as text (never markup). */

/** A new ``tag`` element with ``className`` (if any) and ``text`` as its text (if any). */
export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}
