/**
 * A tiny element builder: text always goes in as text (never parsed as HTML), attributes through
 * setAttribute, listeners through addEventListener. Nothing here sets a `style` attribute: the
 * page runs under `style-src 'self'`, so looks come from the stylesheet's classes only.
 */

import { pathParts } from './format.js';

/** What an element may hold. `false`, `null` and `undefined` are left out, for conditionals. */
export type Child = Node | string | false | null | undefined;

/** Attributes (strings; `true` for a bare attribute; `false`/`undefined` to leave it out) and `on…` listeners. */
export type Attributes = Readonly<Record<string, string | boolean | undefined | ((event: Event) => void)>>;

/**
 * Makes an element.
 * @example
 * h('button', { type: 'button', class: 'secondary', onclick: () => back() }, 'Back');
 */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (typeof value === 'function') element.addEventListener(name.slice(2), value);
    else if (value === true) element.setAttribute(name, '');
    else if (typeof value === 'string') element.setAttribute(name, value);
  }
  append(element, ...children);
  return element;
}

/** Appends children, skipping the left-out ones. */
export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === false || child === null || child === undefined) continue;
    parent.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  }
}

/** Replaces every child of `parent`. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}

/** A colon-separated fingerprint as `<code>`, breaking only between byte pairs (`<wbr>` after each `:`). */
export function fingerprintCode(fingerprint: string): HTMLElement {
  const code = h('code', { class: 'fingerprint' });
  fingerprint
    .split(':')
    .forEach((pair, i, all) => append(code, pair, i < all.length - 1 ? ':' : undefined, i < all.length - 1 ? document.createElement('wbr') : undefined));
  return code;
}

/** A file path as `<code>`, with a line-break opportunity (`<wbr>`) after each separator. */
export function pathCode(path: string): HTMLElement {
  const code = h('code', { class: 'path' });
  pathParts(path).forEach((part, i) => append(code, i === 0 ? undefined : document.createElement('wbr'), part));
  return code;
}
