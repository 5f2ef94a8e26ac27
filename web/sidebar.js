// The list of past conversations: reopen, rename, delete.

import { h, ICONS, icon } from './render.js';
import { deleteConversation, listConversations, renameConversation } from './store.js';

/**
 * @param {{ currentId: () => string | null, onOpen: (id: string) => void, onDeleted: (id: string) => void }} handlers
 */
export function createSidebar({ currentId, onOpen, onDeleted }) {
  const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
  const nav = $('history');
  const list = $('history-list');
  const toggle = $('history-toggle');
  const narrow = matchMedia('(max-width: 899.98px)');

  /** @param {boolean} open */
  function show(open) {
    nav.hidden = !open;
    toggle.setAttribute('aria-expanded', String(open));
    document.body.classList.toggle('history-open', open);
    if (open) render();
  }

  function render() {
    const conversations = listConversations();
    const current = currentId();
    if (conversations.length === 0) {
      list.replaceChildren(h('li', { class: 'history-empty' }, 'Your conversations will appear here.'));
      return;
    }
    list.replaceChildren(
      ...conversations.map((conversation) => {
        const questions = conversation.turns.length;
        const when = new Date(conversation.updatedAt).toLocaleDateString(undefined, {
          month: 'short',
          day: 'numeric',
        });
        const open = h(
          'button',
          {
            type: 'button',
            class: 'history-open',
            'data-testid': 'history-open',
            title: conversation.title,
            'aria-current': conversation.id === current ? 'page' : null,
            onclick: () => {
              onOpen(conversation.id);
              if (narrow.matches) show(false);
              else render();
            },
          },
          h('span', { class: 'history-title', 'data-testid': 'history-title' }, conversation.title),
          h('span', { class: 'history-meta' }, `${questions} ${questions === 1 ? 'question' : 'questions'} · ${when}`),
        );
        const item = h(
          'li',
          { class: `history-item${conversation.id === current ? ' is-current' : ''}`, 'data-id': conversation.id },
          open,
          h(
            'button',
            {
              type: 'button',
              class: 'icon-button',
              'data-testid': 'history-rename',
              'aria-label': `Rename “${conversation.title}”`,
              onclick: () => startRename(item, conversation.id, conversation.title),
            },
            icon(ICONS.edit),
          ),
          h(
            'button',
            {
              type: 'button',
              class: 'icon-button',
              'data-testid': 'history-delete',
              'aria-label': `Delete “${conversation.title}”`,
              onclick: () => {
                const next = item.nextElementSibling ?? item.previousElementSibling;
                deleteConversation(conversation.id);
                onDeleted(conversation.id);
                render();
                const id = next?.getAttribute('data-id');
                const focus = id && list.querySelector(`[data-id="${CSS.escape(id)}"] .history-open`);
                /** @type {HTMLElement} */ (focus || toggle).focus();
              },
            },
            icon(ICONS.trash),
          ),
        );
        return item;
      }),
    );
  }

  /**
   * @param {HTMLElement} item
   * @param {string} id
   * @param {string} title
   */
  function startRename(item, id, title) {
    const input = /** @type {HTMLInputElement} */ (
      h('input', {
        class: 'history-rename-input',
        'data-testid': 'history-rename-input',
        'aria-label': 'Conversation name',
        maxlength: '80',
        value: title,
      })
    );
    let done = false;
    /** @param {boolean} save */
    const finish = (save) => {
      if (done) return;
      done = true;
      if (save && input.value.trim()) renameConversation(id, input.value);
      render();
      /** @type {HTMLElement | null} */ (list.querySelector(`[data-id="${CSS.escape(id)}"] .history-open`))?.focus();
    };
    input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') {
        event.preventDefault();
        finish(true);
      } else if (event.key === 'Escape') {
        event.preventDefault();
        event.stopPropagation();
        finish(false);
      }
    });
    input.addEventListener('blur', () => finish(true));
    item.replaceChildren(input);
    input.focus();
    input.select();
  }

  toggle.addEventListener('click', () => show(nav.hidden));
  $('history-close').addEventListener('click', () => {
    show(false);
    toggle.focus();
  });
  nav.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && narrow.matches) {
      show(false);
      toggle.focus();
    }
  });

  return { render, show };
}
