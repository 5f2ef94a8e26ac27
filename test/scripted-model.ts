import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A scripted OpenAI-compatible chat server on a loopback port: real HTTP, so Footnote's model client
 * (LangChain's ChatOpenAI) runs as it does against Ollama or OpenAI. The request's `model` names the
 * scenario; each scenario reads the passages Footnote sent and writes its reply.
 */

export interface SentPassage {
  n: number;
  title: string;
  text: string;
}

export interface ModelRequest {
  model: string;
  stream: boolean;
  messages: Array<{ role: string; content: string }>;
  system: string;
  /** The last user message: the passages and the question. */
  user: string;
  passages: SentPassage[];
  question: string;
  body: Record<string, unknown>;
}

export interface Reply {
  /** HTTP status (default 200); anything else is sent as an OpenAI error body. */
  status?: number;
  headers?: Record<string, string>;
  /** The answer text. */
  text?: string;
  /** Streamed as these chunks (default: the text word by word). */
  chunks?: string[];
  /** Wait this long before answering. */
  delayMs?: number;
  /** Wait this long between streamed chunks. */
  chunkDelayMs?: number;
  /** Streaming: cut the connection after this many chunks (a model server that dies mid-answer). */
  dieAfterChunks?: number;
}

export type Scenario = (req: ModelRequest) => Reply;

export interface ScriptedModel {
  /** The base URL to give as LLM_BASE_URL (ends in /v1). */
  baseURL: string;
  requests: ModelRequest[];
  /** Requests whose client hung up before the reply was complete. */
  abandoned: ModelRequest[];
  close: () => Promise<void>;
}

const PASSAGE = /<passage n="(\d+)" title="([^"]*)">\n([\s\S]*?)\n<\/passage>/g;

function parse(body: Record<string, unknown>): ModelRequest {
  const messages = ((body.messages as Array<{ role: string; content: unknown }>) ?? []).map((m) => ({
    role: m.role,
    content: typeof m.content === 'string' ? m.content : JSON.stringify(m.content),
  }));
  const user = messages.findLast((m) => m.role === 'user')?.content ?? '';
  const passages = [...user.matchAll(PASSAGE)].map((m) => ({ n: Number(m[1]), title: m[2] ?? '', text: m[3] ?? '' }));
  return {
    model: String(body.model),
    stream: body.stream === true,
    messages,
    system: messages.filter((m) => m.role === 'system').map((m) => m.content).join('\n'),
    user,
    passages,
    question: /Question: ([^\n]*)\s*$/.exec(user)?.[1] ?? '',
    body,
  };
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });

async function respond(req: ModelRequest, reply: Reply, res: ServerResponse, closed: AbortSignal) {
  if (reply.delayMs) await sleep(reply.delayMs, closed);
  if (closed.aborted) return;
  const status = reply.status ?? 200;
  if (status !== 200) {
    res.writeHead(status, { 'content-type': 'application/json', ...reply.headers });
    res.end(JSON.stringify({ error: { message: `scripted ${status}`, type: 'server_error', code: null } }));
    return;
  }
  const text = reply.text ?? '';
  const base = { id: 'chatcmpl-scripted', created: Math.floor(Date.now() / 1000), model: req.model };
  if (!req.stream) {
    res.writeHead(200, { 'content-type': 'application/json', ...reply.headers });
    res.end(
      JSON.stringify({
        ...base,
        object: 'chat.completion',
        choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
      }),
    );
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...reply.headers });
  const event = (delta: object, finish: string | null = null) =>
    `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  res.write(event({ role: 'assistant', content: '' }));
  let sent = 0;
  for (const piece of reply.chunks ?? text.match(/\S+\s*|\s+/g) ?? []) {
    if (reply.chunkDelayMs) await sleep(reply.chunkDelayMs, closed);
    if (closed.aborted) return;
    if (sent++ === reply.dieAfterChunks) {
      res.destroy();
      return;
    }
    res.write(event({ content: piece }));
  }
  res.write(event({}, 'stop'));
  res.end('data: [DONE]\n\n');
}

/** Starts the scripted model server on 127.0.0.1 (a free port). */
export async function startScriptedModel(
  scenarios: Record<string, Scenario>,
  /** For a model name with no scenario (evals use any LLM_MODEL); without it, such a request gets 404. */
  fallback?: Scenario,
  port = 0,
): Promise<ScriptedModel> {
  const requests: ModelRequest[] = [];
  const abandoned: ModelRequest[] = [];
  const server = createServer((httpReq: IncomingMessage, res: ServerResponse) => {
    const closed = new AbortController();
    res.on('close', () => closed.abort());
    let raw = '';
    httpReq.on('data', (d) => {
      raw += d;
    });
    httpReq.on('end', () => {
      if (httpReq.method !== 'POST' || !httpReq.url?.endsWith('/chat/completions')) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not found"}}');
        return;
      }
      const req = parse(JSON.parse(raw || '{}') as Record<string, unknown>);
      requests.push(req);
      const scenario = scenarios[req.model] ?? fallback;
      if (!scenario) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `no scenario ${req.model}`, type: 'invalid_request_error' } }));
        return;
      }
      closed.signal.addEventListener('abort', () => {
        if (!res.writableFinished) abandoned.push(req);
      });
      respond(req, scenario(req), res, closed.signal).catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${address.port}/v1`,
    requests,
    abandoned,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
