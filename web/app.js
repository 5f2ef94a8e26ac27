// Footnote chat: wires the composer, the thread, the conversations, the source panel and the server's
// health together.

import { answerActions } from './actions.js';
import { ask, getDocuments, getHealth, getToken, isUnauthorized, setToken } from './api.js';
import { createPanel } from './panel.js';
import { answerNodes, duration, excerpt, h, ICONS, icon, shortPath } from './render.js';
import { createSidebar } from './sidebar.js';
import {
  getConversation,
  getCurrentId,
  lastQuestion,
  newConversation,
  onExternalChange,
  saveConversation,
  setCurrentId,
} from './store.js';
import { tokenForm } from './token.js';

/** @typedef {import('./api.js').Citation} Citation */
/** @typedef {import('./api.js').AskResponse} AskResponse */
/** @typedef {import('./store.js').StoredTurn} ChatTurn */
/** @typedef {import('./store.js').Conversation} Conversation */

/** After this long without any answer text, reassure the user that the request is alive. */
const SLOW_MS = 8000;
const HEALTH_RETRY_MS = 3000;
/** Previous messages sent as context; older turns rarely matter and would only grow the request. */
const MAX_HISTORY = 10;
const HINT = 'Enter to send · Shift+Enter for a new line · ↑ recalls your last question';

const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
const ui = {
  scroller: $('scroller'),
  thread: $('thread'),
  empty: $('empty'),
  form: /** @type {HTMLFormElement} */ ($('composer')),
  input: /** @type {HTMLTextAreaElement} */ ($('question')),
  send: /** @type {HTMLButtonElement} */ ($('send')),
  stop: /** @type {HTMLButtonElement} */ ($('stop')),
  hint: $('composer-hint'),
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
/** @type {Conversation | null} null until the first question of a new chat */
let conversation = null;
/** @type {AbortController | null} */
let inFlight = null;
let healthTimer = 0;
let corpusLoaded = false;

const sidebar = createSidebar({
  currentId: () => conversation?.id ?? null,
  onOpen: (id) => openConversation(id),
  onDeleted: (id) => {
    if (conversation?.id === id) newChat();
  },
});

const turns = () => conversation?.turns ?? [];

function save() {
  if (!conversation) return;
  saveConversation(conversation);
  setCurrentId(conversation.id);
  if (!document.getElementById('history')?.hidden) sidebar.render();
}

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
          h('span', { class: 'corpus-title', title: doc.title || doc.id }, doc.title || doc.id),
          h('span', { class: 'corpus-source', title: doc.source }, shortPath(doc.source)),
          doc.date ? h('span', { class: 'corpus-date' }, doc.date) : null,
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
  // Keep focus where it was: the Stop button replaces Send in place, and Send gets it back.
  const focused = document.activeElement === (busy ? ui.send : ui.stop);
  ui.send.hidden = busy;
  ui.stop.hidden = !busy;
  ui.send.disabled = busy;
  for (const button of ui.examples) button.disabled = busy;
  if (!busy) ui.hint.textContent = HINT;
  if (focused) (busy ? ui.stop : ui.send).focus();
}

/** @param {string} text */
function submit(text) {
  const question = text.trim();
  if (!question) return;
  if (inFlight) {
    // Enter while an answer is on its way: say why nothing happens, and how to stop it.
    ui.hint.textContent = 'Still answering. Press Stop (or Esc) to cancel, then send your question.';
    return;
  }
  ui.input.value = '';
  fitInput();
  // A new answer makes the open source stale: its [1] is another answer's [1].
  panel.close({ restoreFocus: false });
  if (!conversation) conversation = newConversation(question);
  /** @type {ChatTurn} */
  const turn = { question, result: null };
  conversation.turns.push(turn);
  showThread();
  const message = appendTurn(turn);
  save();
  run(turn, message);
  scrollToEnd();
}

function showThread() {
  const has = turns().length > 0;
  ui.empty.hidden = has;
  ui.newChat.hidden = !has;
}

/**
 * Adds a question and its (empty) answer to the thread.
 * @param {ChatTurn} turn
 */
function appendTurn(turn) {
  const message = h('article', {
    class: 'msg msg-assistant',
    'data-testid': 'message-assistant',
    'aria-label': 'Answer',
  });
  ui.thread.append(
    h(
      'article',
      { class: 'msg msg-user', 'data-testid': 'message-user', 'aria-label': 'Your question' },
      h('p', { class: 'msg-user-text' }, turn.question),
    ),
    message,
  );
  return message;
}

/**
 * The conversation so far, for follow-up questions: completed turns before `turn`.
 * @param {ChatTurn} turn
 * @returns {import('./api.js').Turn[]}
 */
function historyBefore(turn) {
  /** @type {import('./api.js').Turn[]} */
  const history = [];
  const all = turns();
  for (const previous of all.slice(0, all.indexOf(turn))) {
    if (!previous.result) continue; // failed or stopped turns carry no answer worth building on
    history.push(
      { role: 'user', content: previous.question },
      { role: 'assistant', content: previous.result.answer },
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
  turn.stopped = false;
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
    turn.result = result;
    save();
    followScroll(() => renderResult(message, turn));
  } catch (caught) {
    if (controller.signal.aborted) {
      // Stopped by the user (the Stop button, Esc) or by leaving the conversation.
      turn.stopped = true;
      if (message.isConnected) {
        save();
        renderStopped(message, turn);
      }
      return;
    }
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

function stop() {
  inFlight?.abort();
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
 * @param {ChatTurn} turn a turn with its result
 */
function renderResult(message, turn) {
  const result = /** @type {AskResponse} */ (turn.result);
  const actions = answerActions({ turn, history: () => historyBefore(turn), onChange: save });
  if (result.abstained) {
    message.replaceChildren(abstention(result), actions);
    return;
  }
  /** @type {HTMLElement[]} */
  const parts = [];
  const onMarker = (/** @type {Citation} */ citation, /** @type {HTMLElement} */ button) =>
    openCitation(message, citation, button);
  // The short answer ("August 6"), when the engine found one, comes first, in bold: where the answer
  // already starts with it, those words are bolded in place (the text stays exactly the answer).
  const span = result.answerSpan?.text;
  const leads = Boolean(span && result.answer.startsWith(span));
  if (span && !leads) parts.push(h('p', { class: 'answer-span' }, h('strong', { 'data-testid': 'answer-span' }, span)));
  parts.push(
    h(
      'div',
      { class: 'answer', 'data-testid': 'answer-text' },
      span && leads && h('strong', { class: 'answer-lead', 'data-testid': 'answer-span' }, span),
      ...(result.sentences?.some((x) => !x.supported)
        ? sentenceNodes(result, onMarker)
        : answerNodes(leads && span ? result.answer.slice(span.length) : result.answer, result.citations, onMarker)),
    ),
  );
  const cited = result.citations.filter((c) => result.answer.includes(`[${c.marker}]`));
  if (cited.length > 0) parts.push(sourceList(message, cited));
  if (result.timings)
    parts.push(h('p', { class: 'msg-meta' }, `Answered in ${duration(result.timings.totalMs)}`));
  parts.push(actions);
  message.replaceChildren(...parts);
}

/**
 * A generative answer with sentences its citations do not support (LLM_UNSUPPORTED=flag): each such
 * sentence is marked, with the reason in its tooltip. The text stays exactly the answer.
 * @param {AskResponse} result
 * @param {(citation: Citation, button: HTMLElement) => void} onMarker
 */
function sentenceNodes(result, onMarker) {
  return (result.sentences ?? []).flatMap((sentence, i) => {
    const nodes = answerNodes(sentence.text, result.citations, onMarker);
    const shown = sentence.supported
      ? nodes
      : [
          h(
            'span',
            {
              class: 'unverified',
              'data-testid': 'unverified',
              title: `Not supported by its source${sentence.reason ? `: ${sentence.reason}` : ''}`,
            },
            ...nodes,
          ),
        ];
    return i === 0 ? shown : [' ', ...shown];
  });
}

/**
 * A source label: the title (one line, full title and path in the tooltip) and a short file name.
 * @param {Citation} citation
 * @param {string} titleClass
 */
function sourceLabel(citation, titleClass) {
  return [
    h('span', { class: titleClass, title: `${citation.title}\n${citation.source}` }, citation.title),
    h(
      'span',
      { class: 'source-path', 'data-testid': 'source-path' },
      shortPath(citation.source) + pageSuffix(citation),
    ),
  ];
}

/**
 * ", p. 3" (", pp. 3–4") for a citation from a PDF, else nothing.
 * @param {Citation} citation
 */
function pageSuffix(citation) {
  if (!citation.page) return '';
  return citation.pageEnd ? `, pp. ${citation.page}–${citation.pageEnd}` : `, p. ${citation.page}`;
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
            'data-testid': 'source-link',
            'aria-haspopup': 'dialog',
            onclick: (/** @type {MouseEvent} */ event) =>
              openCitation(message, citation, /** @type {HTMLElement} */ (event.currentTarget)),
          },
          h('span', { class: 'source-num' }, `[${citation.marker}]`),
          ...sourceLabel(citation, 'source-title'),
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
 * An abstention: muted, the server's own words once (no heading that repeats them), and the nearest
 * passages offered as context (no markers: they are not support for anything).
 * @param {AskResponse} result
 */
function abstention(result) {
  return h(
    'div',
    { class: 'abstention', 'data-testid': 'abstained' },
    h(
      'p',
      { class: 'abstention-label' },
      icon(ICONS.none),
      h('span', { class: 'abstention-text', 'data-testid': 'answer-text' }, result.answer),
    ),
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
              h('span', { class: 'related-head' }, ...sourceLabel(citation, 'related-title')),
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
 * @param {ChatTurn} turn
 */
function renderStopped(message, turn) {
  message.replaceChildren(
    h(
      'div',
      { class: 'msg-stopped', 'data-testid': 'stopped' },
      h('p', { class: 'msg-stopped-text' }, 'Stopped. No answer was given.'),
      retryButton(turn, message, 'Ask again'),
    ),
  );
}

/**
 * Asks the turn's question again in the same message.
 * @param {ChatTurn} turn
 * @param {HTMLElement} message
 * @param {string} label
 */
function retryButton(turn, message, label) {
  return h(
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
    label,
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
      retryButton(turn, message, 'Retry'),
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

// --- conversations ----------------------------------------------------------------------------

/**
 * Shows the stored conversation `id` (answers as they were; unfinished ones can be asked again).
 * @param {string} id
 */
function openConversation(id) {
  const stored = getConversation(id);
  if (!stored) return;
  inFlight?.abort();
  panel.close({ restoreFocus: false });
  conversation = stored;
  setCurrentId(id);
  ui.thread.replaceChildren();
  for (const turn of stored.turns) {
    const message = appendTurn(turn);
    message.setAttribute('aria-busy', 'false');
    if (turn.result) renderResult(message, turn);
    else renderStopped(message, turn);
  }
  showThread();
  scrollToEnd();
}

function newChat() {
  inFlight?.abort();
  inFlight = null;
  setBusy(false);
  panel.close({ restoreFocus: false });
  conversation = null;
  setCurrentId(null);
  ui.thread.replaceChildren();
  showThread();
  sidebar.render();
  ui.input.focus();
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

ui.input.addEventListener('input', fitInput);
ui.input.addEventListener('keydown', (event) => {
  // isComposing: Enter that confirms an IME candidate must not send.
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    submit(ui.input.value);
  } else if (event.key === 'ArrowUp' && !ui.input.value && !event.isComposing) {
    // Like a shell: ↑ in an empty box brings back the last question, to edit or send again.
    const last = turns().at(-1)?.question ?? lastQuestion();
    if (!last) return;
    event.preventDefault();
    ui.input.value = last;
    fitInput();
    ui.input.setSelectionRange(last.length, last.length);
  } else if (event.key === 'Escape' && inFlight) {
    event.preventDefault();
    stop();
  }
});
ui.form.addEventListener('submit', (event) => {
  event.preventDefault();
  submit(ui.input.value);
});
ui.stop.addEventListener('click', stop);
for (const button of ui.examples) button.addEventListener('click', () => submit(button.textContent ?? ''));
ui.newChat.addEventListener('click', newChat);
onExternalChange(() => sidebar.render());

// --- start ----------------------------------------------------------------------------------

ui.hint.textContent = HINT;
const shared = new URLSearchParams(location.search).get('q')?.trim();
if (shared) {
  // A shared link (/?q=…) asks its question in a new chat; the address loses the query so that a
  // reload doesn't ask it again.
  history.replaceState(null, '', location.pathname);
  submit(shared);
} else {
  const current = getCurrentId();
  if (current) openConversation(current);
}
checkHealth();
