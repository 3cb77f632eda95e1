// Small helpers to build DOM without a framework.

/**
 * Creates an element: h('a', { href: '#/', class: 'x', onclick: fn }, 'text', child).
 * Attributes starting with "on" become listeners; null/false attributes are left out;
 * `dataset` takes an object.
 */
export function h(tag, attributes = {}, ...children) {
  const element = tag.startsWith('svg:')
    ? document.createElementNS('http://www.w3.org/2000/svg', tag.slice(4))
    : document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2), value);
    } else if (name === 'dataset') {
      Object.assign(element.dataset, value);
    } else {
      element.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(element, children);
  return element;
}

/** Appends children (strings, nodes, arrays of them; null is skipped). */
export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

/** Replaces every child of `element`. */
export function replace(element, ...children) {
  element.replaceChildren();
  return append(element, children);
}

/** An explained empty or error state. */
export function notice(kind, title, ...body) {
  return h('section', { class: `notice notice-${kind}`, role: kind === 'error' ? 'alert' : 'status' },
    h('h2', {}, title), ...body);
}

/** A block of shell commands, for notices that tell what to run. */
export function commands(...lines) {
  return h('pre', { class: 'commands' }, h('code', {}, lines.join('\n')));
}
