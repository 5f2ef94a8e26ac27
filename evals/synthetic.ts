import type { Engine } from '../server/qa/engine.ts';
import { analyseQuestion } from '../server/qa/question.ts';
import { findSpan } from '../server/qa/span.ts';
import { wordNet } from '../server/qa/wordnet.ts';
import { isStopword, words } from '../store/lexical/words.ts';
import type { Question } from './schema.ts';

/**
 * Questions generated from a corpus itself, to train the candidate ranker on more than the hand-written
 * sets (those stay for the decision model's calibration and for evaluation). A sentence holding a date,
 * an amount or a name becomes a when / how-many / who question about it, in other words: the answer
 * removed, a third of the other words dropped, some swapped for WordNet synonyms. Deterministic (seeded).
 */
export function syntheticQuestions(engine: Engine, corpus: string, perDocument = 25, seed = 1): Question[] {
  let state = seed;
  const random = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const wn = wordNet();
  const out: Question[] = [];
  const kinds: Array<[string, string]> = [
    ['When', 'When did it happen?'],
    ['How many', 'How many are there?'],
    ['Who', 'Who is it?'],
  ];
  for (const doc of engine.documents.values()) {
    const sentences = engine.retriever.passages
      .filter((p) => p.docId === doc.docId)
      .flatMap((p) => p.sentences)
      .filter(([s, e]) => e - s > 60 && e - s < 320);
    let made = 0;
    for (const [s, e] of sentences.sort(() => random() - 0.5)) {
      if (made >= perDocument) break;
      const sentence = doc.text.slice(s, e);
      const [wh, probe] = kinds[Math.floor(random() * kinds.length)] as [string, string];
      const span = findSpan(analyseQuestion(probe), sentence);
      if (!span || span.text.length < 2) continue;
      const rest = words(sentence.slice(0, span.start) + ' ' + sentence.slice(span.end)).filter(
        (w) => !isStopword(w) && !words(span.text).includes(w),
      );
      const kept = rest.filter(() => random() > 0.33).slice(0, 10);
      if (kept.length < 3) continue;
      const phrased = kept.map((w) => {
        if (random() > 0.3) return w;
        const alt = [...wn.related(w)].filter((x) => /^[a-z]+$/.test(x));
        return alt.length ? (alt[Math.floor(random() * alt.length)] as string) : w;
      });
      out.push({
        v: 1,
        id: `syn-${doc.docId.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${made}`,
        question: `${wh} ${phrased.join(' ')}?`,
        answerable: true,
        answers: [span.text],
        evidence: [{ file: `${corpus}/${doc.source.split('/').pop()}`, quote: sentence }],
        tags: ['paraphrase'],
      });
      made++;
    }
  }
  return out;
}
