// DOM builders. Data only ever reaches the page as text nodes or attribute values, never as markup.

/** @typedef {import('./api.js').Citation} Citation */

/**
 * Creates an element. String children become text nodes, so a `<script>` in the data stays literal text.
 * @param {string} tag
 * @param {Record<string, unknown>} [props] `class`, `on<event>` listeners, or attributes
 * @param {...(Node | string | null | undefined | false)} children
 * @returns {HTMLElement}
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value == null || value === false) continue;
    if (key === 'class') el.className = String(value);
    else if (key.startsWith('on')) el.addEventListener(key.slice(2), /** @type {EventListener} */ (value));
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  el.append(...children.filter((child) => child != null && child !== false));
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * A decorative 24×24 stroke icon.
 * @param {string} path SVG path data
 */
export function icon(path) {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'icon');
  const shape = document.createElementNS(SVG_NS, 'path');
  shape.setAttribute('d', path);
  svg.append(shape);
  return svg;
}

export const ICONS = {
  /** A circle with a slash: "not in the articles". */
  none: 'M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18zM5.6 5.6l12.8 12.8',
  alert: 'M12 8v5m0 3.5v.5M10.3 3.9 2.4 18a2 2 0 0 0 1.7 3h15.8a2 2 0 0 0 1.7-3L13.7 3.9a2 2 0 0 0-3.4 0z',
  retry: 'M20 11a8 8 0 1 0-2.3 5.7M20 4v7h-7',
  lock: 'M7 11V7a5 5 0 0 1 10 0v4M5 11h14v10H5z',
  edit: 'M12 20h9M16.5 3.5a2.1 2.1 0 0 1 3 3L7 19l-4 1 1-4z',
  trash: 'M3 6h18M8 6V4h8v2M19 6l-1 14H6L5 6M10 11v6M14 11v6',
  copy: 'M9 9h11v11H9zM5 15H4V4h11v1',
  link: 'M10 13a5 5 0 0 0 7.5.5l3-3a5 5 0 0 0-7-7l-1.7 1.7M14 11a5 5 0 0 0-7.5-.5l-3 3a5 5 0 0 0 7 7l1.7-1.7',
  check: 'M20 6 9 17l-5-5',
  up: 'M7 11v10H4V11zM7 11l4-9a3 3 0 0 1 3 3v4h5.7a2 2 0 0 1 2 2.3l-1.4 9a2 2 0 0 1-2 1.7H7',
  down: 'M17 13V3h3v10zM17 13l-4 9a3 3 0 0 1-3-3v-4H4.3a2 2 0 0 1-2-2.3l1.4-9a2 2 0 0 1 2-1.7H17',
};

const MARKER = /\[(\d+)\]/g;

/**
 * Answer text with each `[n]` that has a citation turned into a footnote button. The button keeps the
 * literal `[n]` as its text, so the answer's textContent stays exactly the server's answer.
 * @param {string} answer
 * @param {Citation[]} citations
 * @param {(citation: Citation, button: HTMLElement) => void} onMarker
 * @returns {(Node | string)[]}
 */
export function answerNodes(answer, citations, onMarker) {
  const byMarker = new Map(citations.map((citation) => [citation.marker, citation]));
  /** @type {(Node | string)[]} */
  const nodes = [];
  let last = 0;
  /** @type {HTMLElement | null} the word + marker(s) group that must not wrap, when it ends the nodes */
  let group = null;
  for (const match of answer.matchAll(MARKER)) {
    const citation = byMarker.get(Number(match[1]));
    if (!citation) continue; // an unknown number stays plain text rather than a dead button
    const before = answer.slice(last, match.index);
    // A marker stays on the line of the word before it: both go into one no-wrap span. Markers that
    // follow one another ("[1] [2]") join the same span.
    const word = /\S+[^\S\n]*$/.exec(before);
    if (group && /^[^\S\n]*$/.test(before)) group.append(before);
    else if (word) {
      nodes.push(before.slice(0, word.index));
      group = h('span', { class: 'nowrap' }, word[0]);
      nodes.push(group);
    } else {
      nodes.push(before);
      group = h('span', { class: 'nowrap' });
      nodes.push(group);
    }
    group.append(
      h(
        'sup',
        { class: 'marker-sup' },
        h(
          'button',
          {
            type: 'button',
            class: 'marker',
            'data-testid': 'marker',
            'data-marker': match[1],
            'aria-haspopup': 'dialog',
            'aria-label': `Source ${match[1]}: ${citation.title}`,
            onclick: (/** @type {MouseEvent} */ event) =>
              onMarker(citation, /** @type {HTMLElement} */ (event.currentTarget)),
          },
          match[0],
        ),
      ),
    );
    last = match.index + match[0].length;
  }
  nodes.push(answer.slice(last));
  return nodes;
}

/**
 * A source path short enough for a label: the file name, its middle elided past `max` characters
 * (`seeds/004_ec9c24d3208588b7.txt` → `004_ec9c…8588b7.txt`). The full path goes in a tooltip.
 * @param {string} source
 * @param {number} [max]
 */
export function shortPath(source, max = 22) {
  const name = source.replace(/[?#].*$/, '').split(/[\\/]/).filter(Boolean).pop() ?? source;
  if (name.length <= max) return name;
  const keep = max - 1;
  return `${name.slice(0, Math.ceil(keep / 2))}…${name.slice(name.length - Math.floor(keep / 2))}`;
}

/**
 * `text` split into before / highlighted quote / after, as text nodes around one element.
 * @param {string} text
 * @param {string} quote
 * @param {string} tag element wrapping the quote
 * @param {Record<string, unknown>} props
 * @returns {(Node | string)[]}
 */
export function highlight(text, quote, tag, props) {
  const at = quote ? text.indexOf(quote) : -1;
  if (at < 0) return [text];
  return [text.slice(0, at), h(tag, props, quote), text.slice(at + quote.length)];
}

/**
 * Where the cited passage sits in the article. Offsets are authoritative, but if the article changed
 * since indexing we fall back to searching for the passage text rather than highlighting the wrong words.
 * @param {string} article
 * @param {Citation} citation
 * @returns {number} start offset, or -1 when the passage isn't in the article
 */
export function locatePassage(article, citation) {
  if (article.slice(citation.start, citation.end) === citation.text) return citation.start;
  return article.indexOf(citation.text);
}

/**
 * Short excerpt for lists: whole words, ellipsis when cut.
 * @param {string} text
 * @param {number} max characters
 */
export function excerpt(text, max) {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  const cut = flat.slice(0, max);
  return `${cut.slice(0, Math.max(cut.lastIndexOf(' '), max * 0.6))}…`;
}

/**
 * @param {number} ms
 * @returns {string} e.g. "42 ms", "1.3 s"
 */
export function duration(ms) {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
