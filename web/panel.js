// The source panel: a side panel on desktop, a bottom sheet on narrow screens (the CSS decides which).

import { getDocument } from './api.js';
import { h, highlight, locatePassage, shortPath } from './render.js';

/** @typedef {import('./api.js').Citation} Citation */

/**
 * @typedef {object} OpenOptions
 * @property {string} label e.g. "Source [2]"
 * @property {boolean} [related] a passage shown for context, not as support: no quote highlight
 * @property {() => HTMLElement | null} returnFocus where focus goes on close; a function because
 *   streaming re-renders can replace the button that opened the panel
 */

export function createPanel() {
  const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
  const panel = $('panel');
  const backdrop = $('panel-backdrop');
  const label = $('panel-label');
  const passageView = $('passage-view');
  const passageTitle = $('passage-title');
  const passageSource = $('passage-source');
  const passageText = $('passage-text');
  const passageNote = $('passage-note');
  const showInArticle = $('show-in-article');
  const articleMode = $('article-mode');
  const articleView = $('article-view');
  const articleTitle = $('article-title');
  const articleSource = $('article-source');
  const articleText = $('article-text');
  const body = $('panel-body');
  const head = $('panel-head');
  /** On narrow screens the panel is a modal bottom sheet: the page behind it is inert, focus stays in it. */
  const narrow = matchMedia('(max-width: 719.98px)');

  /** @type {Citation | null} */
  let current = null;
  /** @type {OpenOptions | null} */
  let options = null;
  /** Bumped on every open/close so a slow article fetch can't paint over a newer passage. */
  let generation = 0;

  /**
   * @param {Citation} citation
   * @param {OpenOptions} openOptions
   */
  function open(citation, openOptions) {
    markActive(false);
    current = citation;
    options = openOptions;
    generation++;
    label.textContent = openOptions.label;
    passageTitle.textContent = citation.title;
    showSource(passageSource, citation.source);
    passageText.replaceChildren(
      ...(openOptions.related
        ? [citation.text]
        : highlight(citation.text, citation.quote, 'mark', { 'data-testid': 'passage-quote' })),
    );
    passageNote.textContent = openOptions.related
      ? 'The closest passage found. It does not answer the question.'
      : 'Highlighted: the words that support the answer.';
    // A PDF source opens on the page the quote is printed on.
    showInArticle.textContent = citation.page ? `Show on page ${pageLabel(citation)}` : 'Show in article';
    articleView.hidden = true;
    passageView.hidden = false;
    panel.hidden = false;
    backdrop.hidden = false;
    document.body.classList.add('panel-open');
    panel.style.transform = '';
    updateModal();
    body.scrollTop = 0;
    markActive(true);
    $('panel-close').focus();
  }

  /**
   * A short file name, the full path in its tooltip.
   * @param {HTMLElement} el
   * @param {string} source
   */
  function showSource(el, source) {
    el.textContent = shortPath(source, 40);
    el.title = source;
  }

  /** As a bottom sheet the panel is modal: everything behind it is inert (no focus, no clicks). */
  function updateModal() {
    const modal = !panel.hidden && narrow.matches;
    panel.setAttribute('aria-modal', String(modal));
    for (const el of document.querySelectorAll('.topbar, .banner, .chat, .history')) {
      /** @type {HTMLElement} */ (el).inert = modal;
    }
  }

  /** @param {{ restoreFocus?: boolean }} [opts] */
  function close({ restoreFocus = true } = {}) {
    if (panel.hidden) return;
    generation++;
    markActive(false);
    panel.hidden = true;
    backdrop.hidden = true;
    document.body.classList.remove('panel-open');
    updateModal();
    if (restoreFocus) options?.returnFocus()?.focus();
    current = null;
    options = null;
  }

  /** @param {boolean} active */
  function markActive(active) {
    options?.returnFocus()?.classList.toggle('is-active', active);
  }

  /** @param {Citation} citation "3", or "3–4" for a quote that runs onto the next page */
  function pageLabel(citation) {
    return citation.pageEnd ? `${citation.page}–${citation.pageEnd}` : String(citation.page);
  }

  /** @type {'page' | 'text'} how a PDF source is shown: its page, or its text (the fallback) */
  let pdfMode = 'page';

  async function openArticle() {
    if (!current) return;
    const citation = current;
    const mine = ++generation;
    passageView.hidden = true;
    articleView.hidden = false;
    articleMode.hidden = true;
    articleTitle.textContent = citation.title;
    showSource(articleSource, citation.source);
    articleText.replaceChildren(h('p', { class: 'panel-status' }, 'Loading the article…'));
    articleView.focus();
    try {
      const doc = await getDocument(citation.docId);
      if (mine !== generation) return;
      if (citation.page && doc.file) {
        articleMode.hidden = false;
        articleMode.textContent = pdfMode === 'page' ? 'Text view' : 'Page view';
        if (pdfMode === 'page' && (await showPage(doc.file, citation, mine))) return;
        if (mine !== generation) return;
      }
      renderArticle(doc.text, citation, doc.boilerplate ?? []);
    } catch (error) {
      if (mine !== generation) return;
      articleText.replaceChildren(
        h(
          'p',
          { class: 'panel-status panel-status-error', role: 'alert' },
          `Couldn't load the article. ${/** @type {Error} */ (error).message}`,
        ),
      );
    }
  }

  /**
   * The page the quote is printed on, rendered with PDF.js, the quote highlighted; false when it can't be
   * (PDF.js or the file failed to load), and the text view is shown instead.
   * @param {string} url
   * @param {Citation} citation
   * @param {number} mine
   */
  async function showPage(url, citation, mine) {
    const note = h('p', { class: 'panel-note', 'data-testid': 'pdf-page-note' }, `Page ${pageLabel(citation)} of ${shortPath(citation.source, 40)}`);
    const holder = h('div', { class: 'pdf-holder' });
    articleText.replaceChildren(note, holder);
    try {
      const { renderPdfPage } = await import('./pdf-page.js');
      const first = await renderPdfPage(holder, { url, page: /** @type {number} */ (citation.page), quote: citation.quote });
      if (mine !== generation) return true;
      if (!first) note.append(' (the quote could not be located on the page image: use Text view)');
      const reduce = matchMedia('(prefers-reduced-motion: reduce)').matches;
      first?.scrollIntoView({ block: 'center', behavior: reduce ? 'auto' : 'smooth' });
      return true;
    } catch (error) {
      if (mine !== generation) return true;
      console.warn('PDF page view failed, showing the text', error);
      articleMode.hidden = true;
      return false;
    }
  }

  /**
   * @param {string} text full article
   * @param {Citation} citation
   * @param {Array<[number, number]>} boilerplate page residue the reader need not see (kept in the DOM,
   *   hidden, so offsets still line up)
   */
  function renderArticle(text, citation, boilerplate = []) {
    /**
     * The text from `from` to `to`, with residue ranges wrapped in hidden spans.
     * @param {number} from
     * @param {number} to
     */
    const plain = (from, to) => {
      const nodes = [];
      let at = from;
      for (const [a, b] of boilerplate) {
        if (b <= at || a >= to) continue;
        if (a > at) nodes.push(text.slice(at, a));
        nodes.push(h('span', { class: 'article-residue', hidden: true }, text.slice(Math.max(a, at), Math.min(b, to))));
        at = Math.min(b, to);
      }
      if (at < to) nodes.push(text.slice(at, to));
      return nodes;
    };
    const at = locatePassage(text, citation);
    if (at < 0) {
      articleText.replaceChildren(
        h(
          'p',
          { class: 'panel-status' },
          'This passage is no longer in the article; it may have been edited.',
        ),
        text,
      );
      return;
    }
    const end = at + citation.text.length;
    const mark = h(
      'mark',
      { class: 'article-highlight', 'data-testid': 'article-highlight', tabindex: '-1' },
      ...(options?.related
        ? [citation.text]
        : highlight(citation.text, citation.quote, 'span', { class: 'article-quote' })),
    );
    articleText.replaceChildren(...plain(0, at), mark, ...plain(end, text.length));
    const reduce = matchMedia('(prefers-reduced-motion: reduce)').matches;
    mark.scrollIntoView({ block: 'center', behavior: reduce ? 'auto' : 'smooth' });
    // Keyboard and screen-reader users land on the passage itself; scrolling already happened.
    mark.focus({ preventScroll: true });
  }

  function backToPassage() {
    generation++;
    articleView.hidden = true;
    passageView.hidden = false;
    showInArticle.focus();
  }

  showInArticle.addEventListener('click', openArticle);
  articleMode.addEventListener('click', () => {
    pdfMode = pdfMode === 'page' ? 'text' : 'page';
    openArticle();
    articleMode.focus();
  });
  $('back-to-passage').addEventListener('click', backToPassage);
  $('panel-close').addEventListener('click', () => close());
  backdrop.addEventListener('click', () => close());
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && !panel.hidden) {
      event.preventDefault();
      close();
    }
  });
  narrow.addEventListener('change', updateModal);

  // Focus stays inside the sheet: Tab from its last control wraps to its first, Shift+Tab the other way.
  panel.addEventListener('keydown', (event) => {
    if (event.key !== 'Tab' || !narrow.matches) return;
    const focusable = [...panel.querySelectorAll('button, [href], input, textarea, [tabindex]:not([tabindex="-1"])')]
      .map((el) => /** @type {HTMLElement} */ (el))
      .filter((el) => !el.hidden && el.offsetParent !== null && !el.hasAttribute('disabled'));
    const first = focusable[0];
    const last = focusable.at(-1);
    if (!first || !last) return;
    const active = document.activeElement;
    const outside = !active || !focusable.includes(/** @type {HTMLElement} */ (active));
    if (event.shiftKey && (active === first || outside)) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (active === last || outside)) {
      event.preventDefault();
      first.focus();
    }
  });

  // Swipe the sheet down (by its handle, the head) to close it.
  /** @type {{ id: number, y: number, t: number, dy: number } | null} */
  let drag = null;
  head.addEventListener('pointerdown', (event) => {
    if (!narrow.matches || event.button !== 0 || /** @type {Element} */ (event.target).closest('button')) return;
    drag = { id: event.pointerId, y: event.clientY, t: event.timeStamp, dy: 0 };
    head.setPointerCapture(event.pointerId);
    panel.classList.add('is-dragging');
  });
  head.addEventListener('pointermove', (event) => {
    if (!drag || event.pointerId !== drag.id) return;
    drag.dy = Math.max(0, event.clientY - drag.y);
    panel.style.transform = `translateY(${drag.dy}px)`;
  });
  /** @param {PointerEvent} event */
  const endDrag = (event) => {
    if (!drag || event.pointerId !== drag.id) return;
    const { dy, t } = drag;
    drag = null;
    panel.classList.remove('is-dragging');
    const fast = dy > 30 && dy / Math.max(1, event.timeStamp - t) > 0.6;
    if (event.type === 'pointerup' && (dy > Math.min(120, panel.offsetHeight / 4) || fast)) close();
    panel.style.transform = '';
  };
  head.addEventListener('pointerup', endDrag);
  head.addEventListener('pointercancel', endDrag);

  return { open, close };
}
