// Under each answer: copy it (with its footnotes), copy a link that asks the question, and 👍 / 👎.

import { sendFeedback } from './api.js';
import { h, ICONS, icon } from './render.js';

/** @typedef {import('./api.js').AskResponse} AskResponse */
/** @typedef {import('./store.js').StoredTurn} StoredTurn */

/**
 * The answer as plain text with its footnotes: `[1] Title — “quote”`, one per marker, in marker order.
 * @param {AskResponse} result
 */
export function answerAsText(result) {
  // U+200B marks a PDF line broken after a hyphen: layout, like the whitespace.
  const flat = (/** @type {string} */ s) => s.replace(/\u200B/g, '').replace(/\s+/g, ' ').trim();
  const lines = [];
  const span = result.answerSpan?.text;
  if (span && !result.answer.startsWith(span)) lines.push(flat(span), '');
  lines.push(result.answer.trim());
  const cited = result.abstained
    ? []
    : result.citations
        .filter((c) => result.answer.includes(`[${c.marker}]`))
        .sort((a, b) => a.marker - b.marker);
  if (cited.length > 0) {
    lines.push('');
    for (const c of cited) {
      const page = c.page ? (c.pageEnd ? `, pp. ${c.page}–${c.pageEnd}` : `, p. ${c.page}`) : '';
      lines.push(`[${c.marker}] ${flat(c.title)}${page} — “${flat(c.quote)}”`);
    }
  }
  return lines.join('\n');
}

/** @param {string} question a link that opens Footnote and asks it */
export function questionLink(question) {
  return `${location.origin}/?q=${encodeURIComponent(question)}`;
}

/**
 * Clipboard API where allowed, else the old select-and-copy.
 * @param {string} text
 */
async function copy(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = /** @type {HTMLTextAreaElement} */ (h('textarea', { class: 'visually-hidden', readonly: true }));
    area.value = text;
    document.body.append(area);
    area.select();
    const ok = document.execCommand('copy');
    area.remove();
    return ok;
  }
}

/**
 * A small button that says what it did for a moment ("Copied").
 * @param {{ label: string, done: string, path: string, testid: string, text: () => string }} spec
 */
function copyButton({ label, done, path, testid, text }) {
  const caption = h('span', {}, label);
  const status = h('span', { class: 'visually-hidden', role: 'status' });
  let timer = 0;
  const button = h(
    'button',
    {
      type: 'button',
      class: 'action',
      'data-testid': testid,
      onclick: async () => {
        const ok = await copy(text());
        caption.textContent = ok ? done : "Couldn't copy";
        status.textContent = ok ? done : '';
        button.classList.toggle('is-done', ok);
        clearTimeout(timer);
        timer = window.setTimeout(() => {
          caption.textContent = label;
          status.textContent = '';
          button.classList.remove('is-done');
        }, 2500);
      },
    },
    icon(path),
    caption,
  );
  return h('span', {}, button, status);
}

/**
 * @param {{ turn: StoredTurn, history: () => import('./api.js').Turn[], onChange: () => void }} options
 *   `onChange` runs when the turn's feedback was sent (to store it)
 */
export function answerActions({ turn, history, onChange }) {
  const result = /** @type {AskResponse} */ (turn.result);
  const row = h('div', { class: 'actions', 'data-testid': 'answer-actions' });
  const feedbackSlot = h('div', { class: 'feedback-slot' });

  /** @param {'up' | 'down'} rating */
  const rateButton = (rating) =>
    h(
      'button',
      {
        type: 'button',
        class: 'action action-icon',
        'data-testid': rating === 'up' ? 'feedback-up' : 'feedback-down',
        'aria-label': rating === 'up' ? 'Good answer' : 'Bad answer',
        title: rating === 'up' ? 'Good answer' : 'Bad answer',
        'aria-pressed': String(turn.feedback?.rating === rating),
        disabled: Boolean(turn.feedback),
        onclick: () => openForm(rating),
      },
      icon(rating === 'up' ? ICONS.up : ICONS.down),
    );
  const up = rateButton('up');
  const down = rateButton('down');

  /** @param {'up' | 'down'} rating */
  function openForm(rating) {
    up.setAttribute('aria-pressed', String(rating === 'up'));
    down.setAttribute('aria-pressed', String(rating === 'down'));
    const comment = /** @type {HTMLTextAreaElement} */ (
      h('textarea', {
        class: 'feedback-comment',
        rows: '2',
        maxlength: '2000',
        'data-testid': 'feedback-comment',
        'aria-label': 'Comment (optional)',
        placeholder: rating === 'down' ? 'What was wrong? (optional)' : 'What was good? (optional)',
      })
    );
    const error = h('p', { class: 'feedback-error', role: 'alert' });
    const submit = h('button', { type: 'submit', class: 'button button-primary', 'data-testid': 'feedback-send' }, 'Send feedback');
    const form = h(
      'form',
      {
        class: 'feedback-form',
        'data-testid': 'feedback-form',
        'aria-label': rating === 'up' ? 'Feedback: good answer' : 'Feedback: bad answer',
        onsubmit: async (/** @type {SubmitEvent} */ event) => {
          event.preventDefault();
          submit.setAttribute('disabled', '');
          error.textContent = '';
          const text = comment.value.trim();
          try {
            await sendFeedback({
              rating,
              ...(text ? { comment: text } : {}),
              question: turn.question,
              history: history(),
              answer: result.answer,
              abstained: result.abstained,
              citations: result.citations,
            });
            turn.feedback = { rating, ...(text ? { comment: text } : {}) };
            onChange();
            up.setAttribute('disabled', '');
            down.setAttribute('disabled', '');
            feedbackSlot.replaceChildren(thanks());
          } catch (caught) {
            submit.removeAttribute('disabled');
            error.textContent = `Couldn't send the feedback: ${/** @type {Error} */ (caught).message}`;
          }
        },
        onkeydown: (/** @type {KeyboardEvent} */ event) => {
          if (event.key !== 'Escape') return;
          event.preventDefault();
          event.stopPropagation();
          cancel();
        },
      },
      comment,
      h(
        'div',
        { class: 'feedback-row' },
        submit,
        h('button', { type: 'button', class: 'button button-ghost', onclick: () => cancel() }, 'Cancel'),
      ),
      error,
    );
    const cancel = () => {
      up.setAttribute('aria-pressed', 'false');
      down.setAttribute('aria-pressed', 'false');
      feedbackSlot.replaceChildren();
      (rating === 'up' ? up : down).focus();
    };
    feedbackSlot.replaceChildren(form);
    comment.focus();
  }

  const thanks = () =>
    h('p', { class: 'feedback-thanks', 'data-testid': 'feedback-thanks', role: 'status' }, icon(ICONS.check), 'Thanks for the feedback.');

  row.append(
    copyButton({ label: 'Copy', done: 'Copied', path: ICONS.copy, testid: 'copy-answer', text: () => answerAsText(result) }),
    copyButton({ label: 'Link', done: 'Link copied', path: ICONS.link, testid: 'copy-link', text: () => questionLink(turn.question) }),
    h('span', { class: 'actions-rate' }, up, down),
  );
  if (turn.feedback) feedbackSlot.append(thanks());
  return h('div', { class: 'answer-footer' }, row, feedbackSlot);
}
