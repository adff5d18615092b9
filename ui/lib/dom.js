// DOM helpers shared by both pages. Text only: data goes in as text nodes or
// textContent, never as markup.

/** The element with this id. */
export const $ = (id) => document.getElementById(id);

const shown = (child) => child !== null && child !== undefined && child !== false;

/**
 * h('span', { className: 'x', title: 't', dataset: { id } }, 'text', child, …)
 * Strings become text nodes; null/undefined/false children are skipped.
 */
export function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null) continue;
    if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key in node) node[key] = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (shown(child)) node.append(child);
  }
  return node;
}

/** Replace a node's content with these children (null/undefined/false skipped). */
export function fill(node, ...children) {
  node.replaceChildren(...children.filter(shown));
}

/** Set a node's text (untouched when equal), and hide it when there is none. */
export function showText(node, text) {
  if (node.textContent !== text) node.textContent = text;
  node.hidden = text === '';
}
