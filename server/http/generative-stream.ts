import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { AskInput, Engine, GenerativeAnswerer, GenerativeOutcome } from '../qa/index.ts';
import type { Logger } from '../logger.ts';

/**
 * /ask in generative mode (LLM_BASE_URL set). JSON: the verified answer, or the extractive one with a
 * `fallbackReason`. SSE: each sentence is sent as a `delta` only once verified (preceded by a `citations`
 * event whenever it cites a passage not cited before), then `done`; when the answer falls back, the
 * extractive answer is streamed as without a model. A model failure is never an error response.
 */
export async function generativeAnswer(
  c: Context,
  engine: Engine,
  llm: GenerativeAnswerer,
  input: AskInput,
  opts: { stream: boolean; logger: Logger; chunks: (answer: string) => string[]; errorEvent: (err: unknown) => string },
) {
  const signal = c.req.raw.signal;
  if (!opts.stream) {
    const outcome = await answerUnlessGone(llm, engine, input, signal);
    // Nobody to answer: no error for a client that left.
    if (!outcome) return c.body(null, 204);
    logOutcome(opts.logger, outcome);
    return c.json(outcome.response, 200);
  }
  return streamSSE(c, async (stream) => {
    const gone = () => stream.aborted || signal.aborted;
    try {
      let sent = '';
      let first = true;
      const outcome = await llm.answer(engine, input, {
        signal,
        onSentence: async (text, citations) => {
          if (gone()) throw new Error('client went away');
          const json = JSON.stringify(citations);
          if (json !== sent) await stream.writeSSE({ event: 'citations', data: json });
          sent = json;
          await stream.writeSSE({ event: 'delta', data: JSON.stringify({ text: first ? text : ` ${text}` }) });
          first = false;
        },
      });
      if (gone()) return;
      logOutcome(opts.logger, outcome);
      const result = outcome.response;
      if (!outcome.emitted) {
        await stream.writeSSE({ event: 'citations', data: JSON.stringify(result.citations) });
        for (const text of opts.chunks(result.answer)) {
          if (gone()) return;
          await stream.writeSSE({ event: 'delta', data: JSON.stringify({ text }) });
        }
      }
      await stream.writeSSE({ event: 'done', data: JSON.stringify(result) });
    } catch (err) {
      if (gone()) return;
      await stream.writeSSE({ event: 'error', data: opts.errorEvent(err) });
    }
  });
}

/** The outcome, or null when the client went away (its signal aborted the model call). */
export async function answerUnlessGone(
  llm: GenerativeAnswerer,
  engine: Engine,
  input: AskInput,
  signal: AbortSignal,
): Promise<GenerativeOutcome | null> {
  try {
    return await llm.answer(engine, input, { signal });
  } catch (err) {
    if (signal.aborted) return null;
    throw err;
  }
}

/** What the model wrote that was not shown, and why an answer fell back: for the operator, not the client. */
export function logOutcome(logger: Logger, outcome: GenerativeOutcome): void {
  const dropped = outcome.checked.filter((c) => !c.supported).map((c) => ({ text: c.text, reason: c.reason }));
  const { mode, fallbackReason } = outcome.response;
  if (fallbackReason || outcome.interrupted) {
    logger.info({ mode, fallbackReason, interrupted: outcome.interrupted, unsupported: dropped.length }, 'generative answer fell back');
  }
  if (dropped.length) logger.debug({ unsupported: dropped }, 'model sentences not supported by their citations');
}
