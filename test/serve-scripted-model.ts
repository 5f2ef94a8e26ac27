import { createHash } from 'node:crypto';
import { type ModelRequest, type Reply, startScriptedModel } from './scripted-model.ts';

/**
 * A scripted "reader" model for evals without a real model: it answers from the passages it is sent,
 * as a small model might, and slips on purpose so the verifier has something to catch. Per question
 * (chosen by a hash of it, so runs repeat): it quotes the passage sentence that shares the most words
 * with the question, lightly reworded, and a second one; one question in four gets a number changed
 * (or an invented sentence), one in eight cites the wrong passage for its second sentence.
 *
 *   node --import tsx test/serve-scripted-model.ts [port]   → prints the LLM_BASE_URL to use
 */

const STOP = new Set(
  'a an the of in on at to for and or but is are was were be been did does do what who whom when where why how which many much that this with by from as it its his her their they he she said say'.split(' '),
);
const wordsOf = (s: string) => (s.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => !STOP.has(w));

export function reader(req: ModelRequest): Reply {
  const q = new Set(wordsOf(req.question));
  const ranked = req.passages
    .flatMap((p) =>
      (p.text.replace(/\s+/g, ' ').match(/[^.!?]+[.!?]+["”’]?/g) ?? []).map((s) => ({
        n: p.n,
        s: s.trim(),
        score: wordsOf(s).filter((w) => q.has(w)).length,
      })),
    )
    .filter((x) => x.s.length > 30 && x.score > 0)
    .sort((a, b) => b.score - a.score);
  const [first, ...others] = ranked;
  if (!first) return { text: "The articles don't say." };
  const second = others.find((x) => x.s !== first.s);
  const roll = createHash('sha256').update(req.question).digest()[0] as number;
  const reword = (s: string) => s.replace(/\bsaid\b/, 'stated').replace(/[.!?]+["”’]?$/, '');
  let one = reword(first.s);
  const sentences: string[] = [];
  if (roll % 4 === 0) {
    const changed = one.replace(/\b\d[\d,]*\b/, (n) => String(Number(n.replace(/,/g, '')) * 3 + 1));
    if (changed !== one) one = changed;
    else sentences.push(`This was later confirmed by NATO officials in Brussels [${first.n}].`);
  }
  sentences.unshift(`${one} [${first.n}].`);
  if (second) {
    const wrong = req.passages.find((p) => p.n !== second.n && !p.text.includes(second.s))?.n;
    const n = roll % 8 === 1 && wrong ? wrong : second.n;
    sentences.push(`${reword(second.s)} [${n}].`);
  }
  return { text: sentences.join(' ') };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const model = await startScriptedModel({}, reader, Number(process.argv[2] ?? 0));
  process.stdout.write(`${model.baseURL}\n`);
}
