// Thin client for the Footnote HTTP API (same origin).

/**
 * @typedef {{ marker: number, docId: string, source: string, title: string, start: number, end: number,
 *   text: string, quote: string, score: number, page?: number, pageEnd?: number }} Citation
 * @typedef {{ text: string, docId: string, start: number, end: number }} AnswerSpan
 * @typedef {{ answer: string, abstained: boolean, citations: Citation[], answerSpan?: AnswerSpan,
 *   timings?: { retrieveMs: number, answerMs: number, totalMs: number }, mode?: 'extractive' | 'generative',
 *   sentences?: { text: string, markers: number[], supported: boolean, reason?: string }[],
 *   fallbackReason?: string }} AskResponse
 * @typedef {{ role: 'user' | 'assistant', content: string }} Turn
 */

/** An API failure with the server's error code, so the UI can pick the right message. */
export class ApiError extends Error {
  /**
   * @param {string} message
   * @param {{ status?: number, code?: string, retryAfter?: number }} [info]
   */
  constructor(message, { status = 0, code = 'unknown', retryAfter } = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

// --- access token ---------------------------------------------------------------------------

/** Where the token for a server started with FOOTNOTE_API_TOKEN is kept: this tab only, gone when it closes. */
const TOKEN_KEY = 'footnote.apiToken';

/** @returns {string} the stored access token, or '' */
export function getToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY) ?? '';
  } catch {
    return ''; // storage disabled: the user is asked again each time
  }
}

/** @param {string} token an empty token forgets the stored one */
export function setToken(token) {
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // storage disabled: nothing to keep
  }
}

/**
 * Request headers plus the bearer token, when there is one.
 * @param {Record<string, string>} headers
 * @returns {Record<string, string>}
 */
export function withToken(headers) {
  const token = getToken();
  return token ? { ...headers, Authorization: `Bearer ${token}` } : headers;
}

/** @param {unknown} error true for the server's "send (the right) access token" answer */
export function isUnauthorized(error) {
  return error instanceof ApiError && error.status === 401;
}

// --- requests --------------------------------------------------------------------------------

/**
 * `fetch` that turns network failures into an ApiError with code `network`.
 * @param {string} url
 * @param {RequestInit} [init]
 */
async function request(url, init) {
  try {
    return await fetch(url, init);
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError('Could not reach the Footnote server.', { code: 'network' });
  }
}

/** @param {Response} res */
async function errorFrom(res) {
  /** @type {{ code?: string, message?: string }} */
  let body = {};
  try {
    body = (await res.json())?.error ?? {};
  } catch {
    // Not JSON (e.g. a proxy's HTML error page): fall back to the status text.
  }
  const seconds = Number.parseInt(res.headers.get('Retry-After') ?? '', 10);
  return new ApiError(body.message || `The server answered ${res.status} ${res.statusText}.`.trim(), {
    status: res.status,
    code: body.code ?? (res.status === 503 ? 'not_ready' : 'http_error'),
    retryAfter: Number.isFinite(seconds) ? seconds : undefined,
  });
}

/** @param {string} url */
async function getJson(url) {
  const res = await request(url, { headers: withToken({ Accept: 'application/json' }) });
  if (!res.ok) throw await errorFrom(res);
  return res.json();
}

/**
 * Health never throws: a down server is a state to display, not an exception.
 * @returns {Promise<{ ready: boolean, status: string, documents?: number }>}
 */
export async function getHealth() {
  try {
    const res = await request('/health', { headers: { Accept: 'application/json' }, cache: 'no-store' });
    const body = await res.json().catch(() => ({}));
    return {
      ready: res.ok && body.status === 'ok',
      status: body.status ?? `http_${res.status}`,
      documents: body.documents,
    };
  } catch {
    return { ready: false, status: 'unreachable' };
  }
}

/** @returns {Promise<{ id: string, title: string, source: string, passages: number, date?: string }[]>} */
export async function getDocuments() {
  return (await getJson('/documents')).documents ?? [];
}

/**
 * @type {Map<string, Promise<{ id: string, title: string, source: string, text: string, pages?: number[],
 *   file?: string, date?: string, boilerplate?: [number, number][] }>>}
 */
const documentCache = new Map();

/**
 * Full article text; cached because users tend to open several passages of one article.
 * @param {string} id
 */
export function getDocument(id) {
  let pending = documentCache.get(id);
  if (!pending) {
    pending = getJson(`/documents/${encodeURIComponent(id)}`);
    // Don't cache failures, so "try again" really tries again.
    pending.catch(() => documentCache.delete(id));
    documentCache.set(id, pending);
  }
  return pending;
}

/**
 * Parses a `text/event-stream` body into `{ event, data }` messages.
 * @param {ReadableStream<Uint8Array>} body
 * @returns {AsyncGenerator<{ event: string, data: string }>}
 */
async function* readEvents(body) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      // stream: true keeps a multi-byte character split across chunks intact.
      buffer += decoder.decode(value, { stream: true });
      // Normalize line endings, except a trailing \r that may be half of a \r\n split across chunks.
      const tail = buffer.endsWith('\r') ? '\r' : '';
      buffer = buffer.slice(0, buffer.length - tail.length).replace(/\r\n?/g, '\n') + tail;
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const message = parseEvent(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        if (message) yield message;
        end = buffer.indexOf('\n\n');
      }
    }
  } finally {
    // Also runs when the consumer stops early (after `done`): don't leave the response hanging open.
    reader.cancel().catch(() => {});
  }
}

/** @param {string} block one event's lines */
function parseEvent(block) {
  let event = 'message';
  const data = [];
  for (const line of block.split('\n')) {
    if (!line || line.startsWith(':')) continue; // comments are keep-alives
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  return data.length ? { event, data: data.join('\n') } : null;
}

/**
 * Asks a question, streaming the answer when the server supports it.
 * @param {{ question: string, history: Turn[] }} body
 * @param {{ signal?: AbortSignal, onCitations?: (c: Citation[]) => void, onDelta?: (text: string) => void }} [handlers]
 * @returns {Promise<AskResponse>}
 */
export async function ask(body, { signal, onCitations, onDelta } = {}) {
  const res = await request('/ask', {
    method: 'POST',
    headers: withToken({
      'Content-Type': 'application/json',
      Accept: 'text/event-stream, application/json;q=0.9',
    }),
    body: JSON.stringify(body),
    signal,
  });
  if (!res.ok) throw await errorFrom(res);
  const type = res.headers.get('Content-Type') ?? '';
  // A server (or proxy) that ignores Accept still gives a usable JSON answer.
  if (!type.includes('text/event-stream') || !res.body) return res.json();

  for await (const { event, data } of readEvents(res.body)) {
    const payload = JSON.parse(data);
    if (event === 'citations') onCitations?.(payload);
    else if (event === 'delta') onDelta?.(payload.text ?? '');
    else if (event === 'done') return payload;
    else if (event === 'error') {
      throw new ApiError(payload.error?.message ?? 'The answer failed.', {
        status: res.status,
        code: payload.error?.code,
      });
    }
  }
  throw new ApiError('The answer stream ended before it was complete.', { code: 'stream_ended' });
}

/**
 * Sends a 👍 / 👎 (with an optional comment) about one answer; the server appends it to its feedback file.
 * @param {{ rating: 'up' | 'down', comment?: string, question: string, history: Turn[], answer: string,
 *   abstained: boolean, citations: Citation[] }} feedback
 * @returns {Promise<{ id: string }>}
 */
export async function sendFeedback(feedback) {
  const citations = feedback.citations.map(({ marker, docId, source, title, start, end, quote }) => ({
    marker,
    docId,
    source,
    title,
    start,
    end,
    quote,
  }));
  const res = await request('/feedback', {
    method: 'POST',
    headers: withToken({ 'Content-Type': 'application/json', Accept: 'application/json' }),
    body: JSON.stringify({ ...feedback, citations }),
  });
  if (!res.ok) throw await errorFrom(res);
  return res.json();
}
