// The access-token form, shown when the server answers 401 (it was started with FOOTNOTE_API_TOKEN).

import { setToken } from './api.js';
import { h, ICONS, icon } from './render.js';

let forms = 0;

/**
 * A small inline form asking for the server's access token. The token is kept in sessionStorage (this
 * tab only) and `onToken` runs once it is stored, typically to retry the request that was refused.
 * @param {{ rejected?: boolean, onToken: () => void }} options `rejected`: a stored token was refused
 * @returns {{ element: HTMLElement, focus: () => void }}
 */
export function tokenForm({ rejected = false, onToken }) {
  const id = `token-${++forms}`;
  /** @type {HTMLInputElement} */
  const input = /** @type {HTMLInputElement} */ (
    h('input', {
      id: `${id}-input`,
      class: 'token-input',
      type: 'password',
      name: 'token',
      required: true,
      autocomplete: 'off',
      autocapitalize: 'off',
      spellcheck: 'false',
      placeholder: 'Access token',
      'aria-describedby': `${id}-help`,
      'data-testid': 'token-input',
    })
  );
  const element = h(
    'form',
    {
      class: 'token-form',
      'aria-labelledby': `${id}-title`,
      'data-testid': 'token-prompt',
      onsubmit: (/** @type {SubmitEvent} */ event) => {
        event.preventDefault();
        const token = input.value.trim();
        if (!token) {
          input.focus();
          return;
        }
        setToken(token);
        onToken();
      },
    },
    h(
      'p',
      { id: `${id}-title`, class: 'token-title' },
      icon(ICONS.lock),
      'This server needs an access token',
    ),
    rejected &&
      h(
        'p',
        { class: 'token-rejected', role: 'alert', 'data-testid': 'token-rejected' },
        'That token was not accepted. Check it and try again.',
      ),
    h(
      'p',
      { id: `${id}-help`, class: 'token-help' },
      'Ask whoever runs this Footnote server for it. It is kept in this browser tab only and sent with each question.',
    ),
    h(
      'div',
      { class: 'token-row' },
      h('label', { for: input.id, class: 'visually-hidden' }, 'Access token'),
      input,
      h(
        'button',
        { type: 'submit', class: 'button button-primary', 'data-testid': 'token-submit' },
        'Continue',
      ),
    ),
  );
  return { element, focus: () => input.focus() };
}
