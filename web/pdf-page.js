// The cited page of a PDF, rendered in the browser with PDF.js (served by Footnote from its own copy, no
// CDN), the quote highlighted on the page's text layer. Loaded only when a PDF page is opened.

import { withToken } from './api.js';
import { h } from './render.js';

const PDFJS = '/vendor/pdfjs/pdf.min.mjs';
const WORKER = '/vendor/pdfjs/pdf.worker.min.mjs';

/** @type {Promise<any> | null} */
let pdfjs = null;
function loadPdfJs() {
  pdfjs ??= import(PDFJS).then((lib) => {
    lib.GlobalWorkerOptions.workerSrc = WORKER;
    return lib;
  });
  // A failed load (offline, blocked) is tried again next time.
  pdfjs.catch(() => {
    pdfjs = null;
  });
  return pdfjs;
}

/** @type {Map<string, Promise<any>>} open PDFs by URL: several citations often point into one file */
const documents = new Map();

/** @param {string} url */
function openPdf(url) {
  let pending = documents.get(url);
  if (!pending) {
    pending = (async () => {
      const [lib, res] = await Promise.all([loadPdfJs(), fetch(url, { headers: withToken({}) })]);
      if (!res.ok) throw new Error(`the PDF could not be fetched (${res.status})`);
      const data = new Uint8Array(await res.arrayBuffer());
      return lib.getDocument({ data, isEvalSupported: false }).promise;
    })();
    pending.catch(() => documents.delete(url));
    documents.set(url, pending);
  }
  return pending;
}

/**
 * Text as compared for highlighting: no whitespace (PDF line breaks, the page break), no invisible marks
 * (a line broken after a hyphen), ligatures and compatibility forms expanded.
 * @param {string} s
 */
const fold = (s) => s.normalize('NFKC').replace(/[\s\u200B\u00AD]+/g, '');

/**
 * The text-layer items that carry the quote: the run of items whose text contains it (or, for a quote
 * that runs onto the next page, its longest opening found here); failing that (a page whose drawing
 * order is not its reading order, as in some two-column layouts), every substantial item inside it.
 * @param {string[]} items
 * @param {string} quote
 * @returns {number[]}
 */
export function itemsOfQuote(items, quote) {
  let joined = '';
  /** @type {number[]} */
  const owner = [];
  items.forEach((s, i) => {
    const f = fold(s);
    joined += f;
    for (let k = 0; k < f.length; k++) owner.push(i);
  });
  const q = fold(quote);
  for (let n = q.length; n >= Math.min(q.length, 12); n = n > 40 ? Math.floor(n * 0.8) : n - 4) {
    const at = joined.indexOf(q.slice(0, n));
    if (at >= 0) return [...new Set(owner.slice(at, at + n))];
  }
  const pieces = items.map((s, i) => [fold(s), i]).filter(([f]) => String(f).length >= 8 && q.includes(String(f)));
  return pieces.map(([, i]) => Number(i));
}

/**
 * Renders page `page` of the PDF at `url` into `container` (at its width) with its text layer, and marks
 * the quote. Returns the first highlighted element (null if the quote was not found on the page).
 * @param {HTMLElement} container
 * @param {{ url: string, page: number, quote: string }} what
 * @returns {Promise<HTMLElement | null>}
 */
export async function renderPdfPage(container, { url, page, quote }) {
  const [lib, pdf] = await Promise.all([loadPdfJs(), openPdf(url)]);
  const pdfPage = await pdf.getPage(page);
  const unscaled = pdfPage.getViewport({ scale: 1 });
  const width = Math.max(240, container.clientWidth || 560);
  const viewport = pdfPage.getViewport({ scale: width / unscaled.width });
  const ratio = window.devicePixelRatio || 1;
  const canvas = /** @type {HTMLCanvasElement} */ (h('canvas', { class: 'pdf-canvas', 'aria-hidden': 'true' }));
  canvas.width = Math.floor(viewport.width * ratio);
  canvas.height = Math.floor(viewport.height * ratio);
  const layer = h('div', { class: 'textLayer', 'data-testid': 'pdf-text-layer' });
  layer.style.setProperty('--total-scale-factor', String(viewport.scale));
  const sheet = h('div', { class: 'pdf-page', 'data-testid': 'pdf-page', 'data-page': String(page) }, canvas, layer);
  sheet.style.width = `${viewport.width}px`;
  sheet.style.height = `${viewport.height}px`;
  container.replaceChildren(sheet);
  await pdfPage.render({
    canvas,
    canvasContext: canvas.getContext('2d'),
    viewport,
    transform: ratio !== 1 ? [ratio, 0, 0, ratio, 0, 0] : undefined,
  }).promise;
  const textLayer = new lib.TextLayer({
    textContentSource: await pdfPage.getTextContent(),
    container: layer,
    viewport,
  });
  await textLayer.render();
  /** @type {HTMLElement[]} */
  const divs = textLayer.textDivs;
  const marked = itemsOfQuote(textLayer.textContentItemsStr, quote)
    .map((i) => divs[i])
    .filter((el) => el !== undefined);
  for (const el of marked) {
    el.classList.add('pdf-quote');
    el.setAttribute('data-testid', 'pdf-quote');
  }
  return marked[0] ?? null;
}
