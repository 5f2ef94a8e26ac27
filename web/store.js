// Conversations kept in this browser (localStorage), so a reload or "New chat" loses nothing.

/**
 * @typedef {{ rating: 'up' | 'down', comment?: string }} Feedback
 * @typedef {{ question: string, result: import('./api.js').AskResponse | null, stopped?: boolean,
 *   feedback?: Feedback }} StoredTurn
 * @typedef {{ id: string, title: string, renamed?: boolean, createdAt: number, updatedAt: number,
 *   turns: StoredTurn[] }} Conversation
 */

const KEY = 'footnote.conversations.v1';
/** Which conversation this tab shows: per tab, and kept across reloads of it. */
const CURRENT_KEY = 'footnote.currentConversation';
/** Older conversations are dropped beyond this many (and when the browser's quota is reached). */
const MAX_CONVERSATIONS = 100;
const TITLE_CHARS = 80;

/** @type {Conversation[] | null} when storage is unavailable, conversations live in memory only */
let memory = null;

/** @returns {Conversation[]} newest first */
function readAll() {
  if (memory) return memory;
  try {
    const parsed = JSON.parse(localStorage.getItem(KEY) ?? '[]');
    return Array.isArray(parsed) ? parsed.filter((c) => c && typeof c.id === 'string' && Array.isArray(c.turns)) : [];
  } catch {
    return [];
  }
}

/** @param {Conversation[]} all */
function writeAll(all) {
  all.sort((a, b) => b.updatedAt - a.updatedAt);
  all.splice(MAX_CONVERSATIONS);
  if (memory) return;
  for (;;) {
    try {
      localStorage.setItem(KEY, JSON.stringify(all));
      return;
    } catch (error) {
      // Quota reached: drop the oldest conversation and try again; storage disabled: keep them in memory.
      if (all.length > 1 && error instanceof DOMException && /quota/i.test(error.name)) all.pop();
      else {
        memory = all;
        return;
      }
    }
  }
}

/** @param {string} question */
export function titleFrom(question) {
  const flat = question.replace(/\s+/g, ' ').trim();
  return flat.length <= TITLE_CHARS ? flat : `${flat.slice(0, TITLE_CHARS - 1).trimEnd()}…`;
}

/** @returns {Conversation[]} newest first */
export function listConversations() {
  return readAll().sort((a, b) => b.updatedAt - a.updatedAt);
}

/** @param {string} id */
export function getConversation(id) {
  return readAll().find((c) => c.id === id) ?? null;
}

/** @param {string} firstQuestion */
export function newConversation(firstQuestion) {
  const now = Date.now();
  /** @type {Conversation} */
  const conversation = {
    id: `${now.toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
    title: titleFrom(firstQuestion),
    createdAt: now,
    updatedAt: now,
    turns: [],
  };
  return conversation;
}

/**
 * Stores `conversation` (inserted or replaced), as the most recent one.
 * @param {Conversation} conversation
 */
export function saveConversation(conversation) {
  conversation.updatedAt = Date.now();
  const all = readAll().filter((c) => c.id !== conversation.id);
  all.unshift(conversation);
  writeAll(all);
}

/**
 * @param {string} id
 * @param {string} title
 */
export function renameConversation(id, title) {
  const all = readAll();
  const conversation = all.find((c) => c.id === id);
  const clean = titleFrom(title);
  if (!conversation || !clean) return;
  conversation.title = clean;
  conversation.renamed = true;
  writeAll(all);
}

/** @param {string} id */
export function deleteConversation(id) {
  writeAll(readAll().filter((c) => c.id !== id));
  if (getCurrentId() === id) setCurrentId(null);
}

/** @returns {string | null} the conversation this tab showed last */
export function getCurrentId() {
  try {
    return sessionStorage.getItem(CURRENT_KEY);
  } catch {
    return null;
  }
}

/** @param {string | null} id */
export function setCurrentId(id) {
  try {
    if (id) sessionStorage.setItem(CURRENT_KEY, id);
    else sessionStorage.removeItem(CURRENT_KEY);
  } catch {
    // storage disabled: a reload starts afresh
  }
}

/** @returns {string | null} the most recent question of any conversation */
export function lastQuestion() {
  const [latest] = listConversations();
  return latest?.turns.at(-1)?.question ?? null;
}

/** @param {() => void} listener runs when another tab changes the stored conversations */
export function onExternalChange(listener) {
  window.addEventListener('storage', (event) => {
    if (event.key === KEY || event.key === null) listener();
  });
}
