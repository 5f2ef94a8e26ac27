// Footnote chat: wires the composer, the thread, the source panel and the server's health together.

import { ask, getDocuments, getHealth, getToken, isUnauthorized, setToken } from './api.js';
import { createPanel } from './panel.js';
import { answerNodes, duration, excerpt, h, ICONS, icon } from './render.js';
import { tokenForm } from './token.js';

/** @typedef {import('./api.js').Citation} Citation */
/** @typedef {import('./api.js').AskResponse} AskResponse */
/** @typedef {{ question: string, answer: string | null }} ChatTurn */

/** After this long without any answer text, reassure the user that the request is alive. */
const SLOW_MS = 8000;
const HEALTH_RETRY_MS = 3000;
/** Previous messages sent as context; older turns rarely matter and would only grow the request. */
const MAX_HISTORY = 10;
const ABSTAIN_LABEL = "The articles don't say that";

const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
const ui = {
  scroller: $('scroller'),
  thread: $('thread'),
  empty: $('empty'),
  form: /** @type {HTMLFormElement} */ ($('composer')),
  input: /** @type {HTMLTextAreaElement} */ ($('question')),
  send: /** @type {HTMLButtonElement} */ ($('send')),
  newChat: $('new-chat'),
  banner: $('banner'),
  bannerText: $('banner-text'),
  corpusList: $('corpus-list'),
  corpusCount: $('corpus-count'),
  examples: /** @type {NodeListOf<HTMLButtonElement>} */ (
    document.querySelectorAll('[data-testid="example-question"]')
  ),
};

const panel = createPanel();
/** @type {ChatTurn[]} */
let turns = [];
/** @type {AbortController | null} */
let inFlight = null;
let healthTimer = 0;
let corpusLoaded = false;

// --- server readiness -------------------------------------------------------------------------

/** One check at a time, so a failed /ask during polling doesn't start a second polling loop. */
let checkingHealth = false;

async function checkHealth() {
  if (checkingHealth) return;
  checkingHealth = true;
  clearTimeout(healthTimer);
  const health = await getHealth();
  checkingHealth = false;
  if (health.ready) {
    ui.banner.hidden = true;
    if (!corpusLoaded) loadCorpus();
    return;
  }
  ui.bannerText.textContent =
    health.status === 'unreachable'
      ? "Can't reach the Footnote server. Retrying…"
      : 'Footnote is still loading its article index. This page will be ready in a moment…';
  ui.banner.hidden = false;
  healthTimer = window.setTimeout(checkHealth, HEALTH_RETRY_MS);
}

async function loadCorpus() {
  try {
    const documents = await getDocuments();
    corpusLoaded = true;
    ui.corpusCount.textContent = `${documents.length} ${documents.length === 1 ? 'article' : 'articles'}`;
    ui.corpusList.replaceChildren(
      ...documents.map((doc) =>
        h(
          'li',
          { class: 'corpus-item' },
          h('span', { class: 'corpus-title' }, doc.title || doc.id),
          h('span', { class: 'corpus-source' }, doc.source),
        ),
      ),
    );
  } catch {
    ui.corpusList.replaceChildren(h('li', { class: 'corpus-status' }, "Couldn't load the list of articles."));
  }
}

// --- asking -----------------------------------------------------------------------------------

/** @param {boolean} busy */
function setBusy(busy) {
  ui.send.disabled = busy;
  for (const button of ui.examples) button.disabled = busy;
}

/** @param {string} text */
function submit(text) {
  const question = text.trim();
  if (!question || inFlight) return;
  ui.input.value = '';
  fitInput();
  ui.empty.hidden = true;
  ui.newChat.hidden = false;
  /** @type {ChatTurn} */
  const turn = { question, answer: null };
  turns.push(turn);
  const message = h('article', {
    class: 'msg msg-assistant',
    'data-testid': 'message-assistant',
    'aria-label': 'Answer',
  });
  ui.thread.append(
    h(
      'article',
      { class: 'msg msg-user', 'data-testid': 'message-user', 'aria-label': 'Your question' },
      h('p', { class: 'msg-user-text' }, question),
    ),
    message,
  );
  run(turn, message);
  scrollToEnd();
}

/**
 * The conversation so far, for follow-up questions: completed turns before `turn`.
 * @param {ChatTurn} turn
 * @returns {import('./api.js').Turn[]}
 */
function historyBefore(turn) {
  /** @type {import('./api.js').Turn[]} */
  const history = [];
  for (const previous of turns.slice(0, turns.indexOf(turn))) {
    if (previous.answer === null) continue; // failed turns carry no answer worth building on
    history.push(
      { role: 'user', content: previous.question },
      { role: 'assistant', content: previous.answer },
    );
  }
  return history.slice(-MAX_HISTORY);
}

/**
 * Sends one question and renders its answer, streaming, into `message`.
 * @param {ChatTurn} turn
 * @param {HTMLElement} message
 */
async function run(turn, message) {
  const controller = new AbortController();
  inFlight = controller;
  setBusy(true);
  message.setAttribute('aria-busy', 'true');
  const status = h('span', { class: 'typing-label' }, 'Searching the articles…');
  message.replaceChildren(
    h('p', { class: 'typing' }, h('span', { class: 'dots', 'aria-hidden': 'true' }), status),
  );
  let streamed = '';
  /** @type {Citation[]} */
  let citations = [];
  const slowTimer = window.setTimeout(() => {
    status.textContent = 'Still working…';
  }, SLOW_MS);

  try {
    const result = await ask(
      { question: turn.question, history: historyBefore(turn) },
      {
        signal: controller.signal,
        onCitations: (received) => {
          citations = received;
        },
        onDelta: (text) => {
          clearTimeout(slowTimer);
          streamed += text;
          followScroll(() => renderStreaming(message, streamed, citations));
        },
      },
    );
    turn.answer = result.answer;
    followScroll(() => renderResult(message, result));
  } catch (caught) {
    if (controller.signal.aborted) return;
    const error = /** @type {import('./api.js').ApiError} */ (caught);
    if (isUnauthorized(error)) {
      // A stored token that is refused is forgotten, so the form asks for a new one.
      const rejected = Boolean(getToken());
      setToken('');
      followScroll(() => renderTokenPrompt(message, turn, rejected));
      return;
    }
    followScroll(() => renderError(message, error, turn));
    if (error.code === 'not_ready' || error.code === 'network') checkHealth();
  } finally {
    clearTimeout(slowTimer);
    message.setAttribute('aria-busy', 'false');
    if (inFlight === controller) {
      inFlight = null;
      setBusy(false);
    }
  }
}

// --- rendering a message ------------------------------------------------------------------------

/**
 * @param {HTMLElement} message
 * @param {Citation} citation
 * @param {HTMLElement} button what opened the panel
 */
function openCitation(message, citation, button) {
  panel.open(citation, {
    label: `Source [${citation.marker}]`,
    // A streaming re-render may have replaced the button; its successor has the same marker.
    returnFocus: () =>
      button.isConnected
        ? button
        : message.querySelector(`[data-testid="marker"][data-marker="${citation.marker}"]`),
  });
}

/**
 * @param {HTMLElement} message
 * @param {string} text the answer so far
 * @param {Citation[]} citations
 */
function renderStreaming(message, text, citations) {
  message.replaceChildren(
    h(
      'div',
      { class: 'answer', 'data-testid': 'answer-text' },
      ...answerNodes(text, citations, (citation, button) => openCitation(message, citation, button)),
      h('span', { class: 'caret', 'aria-hidden': 'true' }),
    ),
  );
}

/**
 * @param {HTMLElement} message
 * @param {AskResponse} result
 */
function renderResult(message, result) {
  if (result.abstained) {
    message.replaceChildren(abstention(result));
    return;
  }
  /** @type {HTMLElement[]} */
  const parts = [
    h(
      'div',
      { class: 'answer', 'data-testid': 'answer-text' },
      ...answerNodes(result.answer, result.citations, (citation, button) =>
        openCitation(message, citation, button),
      ),
    ),
  ];
  const cited = result.citations.filter((c) => result.answer.includes(`[${c.marker}]`));
  if (cited.length > 0) parts.push(sourceList(message, cited));
  if (result.timings)
    parts.push(h('p', { class: 'msg-meta' }, `Answered in ${duration(result.timings.totalMs)}`));
  message.replaceChildren(...parts);
}

/**
 * The footnotes under an answer, one per marker, as another way into the source panel.
 * @param {HTMLElement} message
 * @param {Citation[]} cited
 */
function sourceList(message, cited) {
  const items = [...cited]
    .sort((a, b) => a.marker - b.marker)
    .map((citation) =>
      h(
        'li',
        {},
        h(
          'button',
          {
            type: 'button',
            class: 'source-link',
            'aria-haspopup': 'dialog',
            onclick: (/** @type {MouseEvent} */ event) =>
              openCitation(message, citation, /** @type {HTMLElement} */ (event.currentTarget)),
          },
          h('span', { class: 'source-num' }, `[${citation.marker}]`),
          h('span', { class: 'source-title' }, citation.title),
        ),
      ),
    );
  return h(
    'footer',
    { class: 'sources' },
    h('h3', { class: 'sources-label' }, 'Sources'),
    h('ol', { class: 'sources-list' }, ...items),
  );
}

/**
 * An abstention: muted, labelled, and the nearest passages offered as context (no markers: they are
 * not support for anything).
 * @param {AskResponse} result
 */
function abstention(result) {
  const simplify = (/** @type {string} */ s) => s.toLowerCase().replace(/[^a-z]/g, '');
  const sameAsLabel = simplify(result.answer) === simplify(ABSTAIN_LABEL);
  return h(
    'div',
    { class: 'abstention', 'data-testid': 'abstained' },
    h(
      'p',
      { class: 'abstention-label' },
      icon(ICONS.none),
      h(
        'span',
        sameAsLabel ? { 'data-testid': 'answer-text' } : {},
        sameAsLabel ? result.answer : ABSTAIN_LABEL,
      ),
    ),
    !sameAsLabel && h('p', { class: 'abstention-text', 'data-testid': 'answer-text' }, result.answer),
    result.citations.length > 0 &&
      h(
        'section',
        { class: 'related', 'data-testid': 'related-passages', 'aria-label': 'Related passages' },
        h('h3', { class: 'related-label' }, 'Related passages'),
        h(
          'ul',
          { class: 'related-list' },
          ...result.citations.map((citation, i) => {
            /** @type {HTMLElement} */
            const button = h(
              'button',
              {
                type: 'button',
                class: 'related-item',
                'aria-haspopup': 'dialog',
                onclick: () =>
                  panel.open(citation, {
                    label: `Related passage ${i + 1}`,
                    related: true,
                    returnFocus: () => button,
                  }),
              },
              h('span', { class: 'related-title' }, citation.title),
              h('span', { class: 'related-excerpt' }, excerpt(citation.text, 180)),
            );
            return h('li', {}, button);
          }),
        ),
      ),
  );
}

/**
 * @param {HTMLElement} message
 * @param {import('./api.js').ApiError} error
 * @param {ChatTurn} turn
 */
function renderError(message, error, turn) {
  message.replaceChildren(
    h(
      'div',
      { class: 'msg-error' },
      icon(ICONS.alert),
      h('p', { class: 'msg-error-text', 'data-testid': 'error-message' }, describeError(error)),
      h(
        'button',
        {
          type: 'button',
          class: 'button button-secondary',
          'data-testid': 'retry-button',
          onclick: () => {
            if (!inFlight) run(turn, message);
          },
        },
        icon(ICONS.retry),
        'Retry',
      ),
    ),
  );
}

/**
 * The server wants an access token: ask for it in place of the answer, then ask the question again.
 * @param {HTMLElement} message
 * @param {ChatTurn} turn
 * @param {boolean} rejected a token was sent and refused
 */
function renderTokenPrompt(message, turn, rejected) {
  const form = tokenForm({
    rejected,
    onToken: () => {
      if (!inFlight) run(turn, message);
    },
  });
  message.replaceChildren(form.element);
  // Move focus to the form unless the user is already typing their next question.
  if (!ui.input.value) form.focus();
}

/** @param {import('./api.js').ApiError} error */
function describeError(error) {
  if (error.code === 'network')
    return "Couldn't reach the Footnote server. Check that it is running, then retry.";
  if (error.code === 'not_ready') return 'Footnote is still loading its article index. Retry in a moment.';
  if (error.status === 429) {
    const wait = error.retryAfter ? ` Try again in ${error.retryAfter} s.` : ' Wait a moment, then retry.';
    return `Too many questions at once.${wait}`;
  }
  return error.message || 'Something went wrong while answering.';
}

// --- scrolling ------------------------------------------------------------------------------

function scrollToEnd() {
  ui.scroller.scrollTop = ui.scroller.scrollHeight;
}

/**
 * Runs a render and keeps the thread pinned to the bottom, unless the user scrolled up to read.
 * @param {() => void} render
 */
function followScroll(render) {
  const { scrollTop, scrollHeight, clientHeight } = ui.scroller;
  const pinned = scrollHeight - scrollTop - clientHeight < 120;
  render();
  if (pinned) scrollToEnd();
}

// --- composer -------------------------------------------------------------------------------

/** Grows the textarea with its content (the CSS caps the height). */
function fitInput() {
  ui.input.style.height = 'auto';
  ui.input.style.height = `${ui.input.scrollHeight}px`;
}

function newChat() {
  inFlight?.abort();
  inFlight = null;
  setBusy(false);
  panel.close({ restoreFocus: false });
  turns = [];
  ui.thread.replaceChildren();
  ui.empty.hidden = false;
  ui.newChat.hidden = true;
  ui.input.focus();
}

ui.input.addEventListener('input', fitInput);
ui.input.addEventListener('keydown', (event) => {
  // isComposing: Enter that confirms an IME candidate must not send.
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    submit(ui.input.value);
  }
});
ui.form.addEventListener('submit', (event) => {
  event.preventDefault();
  submit(ui.input.value);
});
for (const button of ui.examples) button.addEventListener('click', () => submit(button.textContent ?? ''));
ui.newChat.addEventListener('click', newChat);

checkHealth();
