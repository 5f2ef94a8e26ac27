import { beforeAll, describe, expect, inject, it } from 'vitest';
import { type Engine, loadEngine } from './engine.ts';
import hnswlib from 'hnswlib-node';
import { exactNearest, Retriever } from './retrieve.ts';
import { analyseQuestion } from './question.ts';

let engine: Engine;
beforeAll(async () => {
  engine = await loadEngine({ indexDir: inject('seedsIndexDir') });
});

const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();

describe('answers from the seed articles', () => {
  it('quotes the articles word for word: every sentence of the answer is inside its cited quote', async () => {
    const r = await engine.ask({ question: 'How many rounds of negotiations took place in Belarus?' });
    expect(r.abstained).toBe(false);
    expect(r.answer).toContain('three rounds');
    // The short answer leads ("three rounds — …"), verbatim at its offsets in the document.
    const span = r.answerSpan;
    expect(span?.text).toBe('three rounds');
    expect(engine.documents.get(span?.docId ?? '')?.text.slice(span?.start, span?.end)).toBe(span?.text);
    const quoted = r.answer.slice(`${span?.text} — `.length);
    for (const part of quoted.split(/\s*\[\d+\]\s*/).filter(Boolean)) {
      const marker = Number(quoted.slice(quoted.indexOf(part) + part.length).match(/\[(\d+)\]/)?.[1]);
      const cited = r.citations.find((c) => c.marker === marker);
      expect(oneLine(cited?.quote ?? '')).toContain(oneLine(part));
    }
  });

  it('quotes a sentence that leans on the one before it ("However, …") together with that one', async () => {
    const r = await engine.ask({ question: 'Has there been progress towards restoring peace?' });
    expect(r.abstained).toBe(false);
    const [cited] = r.citations;
    expect(cited?.quote).toMatch(/^After that, three rounds of negotiations[\s\S]*However, the parties have not achieved/);
    expect(engine.documents.get(cited?.docId ?? '')?.text.includes(cited?.quote ?? '')).toBe(true);
    expect(r.answer.startsWith('After that, three rounds')).toBe(true);
  });

  it('quotes the sentence after the best one with it when the pair scores nearly as well: the reason comes next', async () => {
    // seeds/001: "The 67-year-old president said: “We do not threaten anyone…" / "“Moreover, we can’t threaten — we
    // know who opposes us…": the first sentence matches the question best; the second gives the reason.
    const r = await engine.ask({ question: 'Why does Lukashenko say Belarus cannot threaten anyone?', debug: true });
    expect(r.abstained).toBe(false);
    expect(r.citations).toHaveLength(1);
    const [c] = r.citations;
    expect(c?.quote).toContain('We do not threaten anyone');
    expect(c?.quote).toContain('we know who opposes us');
    // The single sentence ranks first; its pair with the next one is what is quoted.
    expect(r.debug?.candidates[0]?.text).not.toContain('we know who opposes us');
  });

  it('finds a name in any of its spellings', async () => {
    for (const name of ['Lukashenko', 'Lukashenka', 'Lukashenco']) {
      const [top] = await engine.retrieve(`What did ${name} say about the stalemate?`, {
        mode: 'bm25',
        k: 1,
      });
      expect(top?.passage.docId).toBe('004_ec9c24d3208588b7');
    }
    const kyiv = await engine.retrieve('What does Kyiv want from Moscow?', { mode: 'bm25', k: 3 });
    expect(kyiv[0]?.passage.text).toContain('Kiev, on the other hand, wants the withdrawal');
  });

  it('searches for what a verb phrase means: "take place" for "occurred"', async () => {
    const related = (question: string, word: string) =>
      engine.retriever.expand(analyseQuestion(question).terms).find((t) => t.word === word)?.related ?? [];
    expect(related('When did the shelling take place?', 'place')).toContain('occur');
    // "place" alone is no "occur".
    expect(related('Which place was shelled?', 'place')).not.toContain('occur');
  });

  it('abstains when no article mentions what is asked, and says which word', async () => {
    const r = await engine.ask({ question: 'What is the population of Belarus?' });
    expect(r.abstained).toBe(true);
    expect(r.answer).toBe("The documents don't say: none of them mentions “population”.");
    expect(r.citations.length).toBeGreaterThan(0);
  });

  it('abstains on a name no article uses, and answers a paragraph finished in the next one', async () => {
    const wagner = await engine.ask({ question: 'What did Lukashenko say about the Wagner fighters?', debug: true });
    expect(wagner.abstained).toBe(true);
    expect(wagner.answer).toMatch(/^The documents don't say: none of them mentions .*“wagner”/);
    expect(wagner.debug?.abstainReason).toBe('no document mentions wagner');
    // "…Burevestnik missile is known for…" / (next paragraph, next passage) "…a potential range of 14,000 miles."
    const far = await engine.ask({ question: 'How far can the Burevestnik fly?' });
    expect(far.abstained).toBe(false);
    expect(far.answerSpan?.text).toMatch(/14,000 miles/);
    const [cited] = far.citations;
    expect(cited?.quote).toMatch(/Burevestnik[\s\S]*14,000 miles\.$/);
    expect(engine.documents.get(cited?.docId ?? '')?.text.slice(cited?.start, cited?.end)).toBe(cited?.text);
  });

  it('reads a first name spelled another way beside a surname the articles know as the same person', async () => {
    // The articles write "Mikhail Podolyak"; a "Mykhailo" they never mention is someone else.
    const r = await engine.ask({ question: 'What role does Mykhailo Podolyak have?' });
    expect(r.abstained).toBe(false);
    expect(r.citations.map((c) => c.text).join(' ')).toContain("Mikhail Podolyak, adviser to the head of the President's Office");
    const stranger = await engine.ask({ question: 'What did Mykhailo Wagnerov say about Lukashenka?', debug: true });
    expect(stranger.debug?.abstainReason).toBe('no document mentions mykhailo');
  });

  it('reads a question in its own words: "incursion" finds the invasion, "begin" the day it began', async () => {
    // seeds/000: "…Ukraine's invasion of Russia, which began on August 6…" (an invasion is a kind of incursion).
    const r = await engine.ask({ question: "When did Ukraine's incursion into Kursk begin?" });
    expect(r.abstained).toBe(false);
    expect(r.answerSpan?.text).toBe('August 6');
  });

  it('does not take a year for a count', async () => {
    const r = await engine.ask({ question: 'How many soldiers were killed in the battle for Moshchun?', debug: true });
    expect(r.abstained).toBe(true);
    // The sentences about Moshchun hold no number near it but a year: none of them counts as answering.
    const moshchun = r.debug?.candidates.filter((c) => c.text.includes('battle for Moshchun')) ?? [];
    expect(moshchun.some((c) => c.text.includes('2022'))).toBe(true);
    for (const c of moshchun) expect(c.features.detailMissing).toBe(1);
  });

  it('says which detail the documents lack: "exactly how many" is not "more than 120,000"', async () => {
    const r = await engine.ask({ question: 'Exactly how many Belarusian soldiers were sent to the border?' });
    expect(r.abstained).toBe(true);
    expect(r.answer).toBe("The documents don't say: the passages closest to the question give no exact amount.");
  });

  it('answers a two-part question from both articles', async () => {
    const r = await engine.ask({ question: "What do both articles on Putin's demands say about Crimea?" });
    expect(r.abstained).toBe(false);
    expect(new Set(r.citations.map((c) => c.docId))).toEqual(
      new Set(['000_d2ab432fcddea531', '003_34b0f79b61c39af3']),
    );
  });

  it('ranks with BM25, dense and hybrid retrieval', async () => {
    for (const mode of ['bm25', 'dense', 'hybrid'] as const) {
      const hits = await engine.retrieve('ceasefire talks in Doha', { mode, k: 5 });
      expect(hits.length).toBe(5);
      expect(hits.map((h) => h.passage.text).join(' ')).toContain('Doha');
    }
  });

  it('never answers a follow-up with the answer it follows', async () => {
    const first = await engine.ask({ question: 'Who is Mikhail Podolyak?' });
    const next = await engine.ask({
      question: 'What did he say about Lukashenko?',
      history: [
        { role: 'user', content: 'Who is Mikhail Podolyak?' },
        { role: 'assistant', content: first.answer },
      ],
    });
    // Not the same quote, nor a longer one holding it (the pair it ends).
    const [firstQuote] = first.citations.map((c) => oneLine(c.quote));
    expect(first.abstained).toBe(false);
    if (!next.abstained) for (const c of next.citations) expect(oneLine(c.quote)).not.toContain(firstQuote);
  });

  it('explains itself with debug: candidates, features and probabilities', async () => {
    const r = await engine.ask({ question: 'Where were the ceasefire talks due to take place?', debug: true });
    expect(r.debug?.candidates.length).toBeGreaterThan(0);
    const top = r.debug?.candidates[0];
    expect(top?.probability).toBeGreaterThan(0);
    expect(Object.keys(top?.features ?? {})).toContain('coverage');
    expect(r.confidence).toBeGreaterThanOrEqual(0);
  });
});

/** An index of `files` copied from `from` into a folder named `name` (file names are document context). */
async function engineOf(name: string, from: string, files: string[]): Promise<Engine> {
  const { mkdtemp, mkdir, copyFile } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const path = await import('node:path');
  const { ingest } = await import('../../ingest/pipeline.ts');
  const { createEmbedder, DEFAULT_MODEL_ID } = await import('../../ingest/embedder.ts');
  const { MODELS_DIR } = await import('../../ingest/model/paths.ts');
  const work = await mkdtemp(path.join(tmpdir(), 'footnote-engine-'));
  const corpusDir = path.join(work, name);
  await mkdir(corpusDir);
  for (const f of files) await copyFile(path.join(from, f), path.join(corpusDir, f));
  const embedder = await createEmbedder({ modelId: DEFAULT_MODEL_ID, modelsDir: MODELS_DIR });
  await ingest({ corpusDir, indexDir: path.join(work, 'index'), embedder, maxBytes: 5 * 1024 * 1024 });
  return loadEngine({ indexDir: path.join(work, 'index'), embedder });
}

describe('a question about two documents', () => {
  /** The documents an answer cites, each citation checked verbatim. */
  function citedDocs(engine: Engine, r: Awaited<ReturnType<Engine['ask']>>): Set<string> {
    for (const c of r.citations) expect(c.text).toBe(engine.documents.get(c.docId)?.text.slice(c.start, c.end));
    return new Set(r.citations.map((c) => c.docId));
  }

  it('cites each named one: "Carter in 1979 and Trump in 2018" quotes both speeches, "Trump" alone one', async () => {
    const speeches = await engineOf('sotu', 'evals/corpora/sotu2', ['1979_jimmy_carter_d.txt', '2018_donald_j_trump_r.txt']);
    const both = await speeches.ask({ question: 'How many new jobs did Carter in 1979 and Trump in 2018 each claim had been created?' });
    expect(both.abstained).toBe(false);
    expect(citedDocs(speeches, both).size).toBe(2);
    const one = await speeches.ask({ question: 'How many new jobs did Trump say had been created since the election?' });
    expect(citedDocs(speeches, one).size).toBe(1);
  }, 120_000);

  it('cites each file a question names by its file name: "mammoth and semver" quotes both READMEs', async () => {
    const readmes = await engineOf('readmes', 'evals/corpora/readmes2', ['mammoth.md', 'semver.md']);
    const both = await readmes.ask({ question: 'What are the npm commands to install mammoth and semver?' });
    expect(both.abstained).toBe(false);
    expect(citedDocs(readmes, both)).toEqual(new Set(['mammoth', 'semver']));
    const one = await readmes.ask({ question: 'What is the npm command to install semver?' });
    expect(citedDocs(readmes, one)).toEqual(new Set(['semver']));
  }, 120_000);
});

describe('a question that names a document', () => {
  it('abstains when the best unit comes from another document, and answers from the one named', async () => {
    const readmes = await engineOf('readmes', 'evals/corpora/readmes2', ['chalk.md', 'debug.md']);
    // debug's README tells how to use it in a browser; chalk's says nothing about browsers.
    const chalk = await readmes.ask({ question: 'Does chalk work in the browser?', debug: true });
    expect(chalk.abstained).toBe(true);
    expect(chalk.debug?.abstainReason).toBe('the best candidate is not from the document the question names');
    const debug = await readmes.ask({ question: 'Does debug work in the browser?' });
    expect(debug.abstained).toBe(false);
    expect(new Set(debug.citations.map((c) => c.docId))).toEqual(new Set(['debug']));
    // A short misspelling of a file's name is that name; of no name, nothing.
    const matches = (q: string, word: string) =>
      readmes.retriever.expand(analyseQuestion(q).terms).find((t) => t.word === word)?.matches;
    expect(matches('Does chalc work in the browser?', 'chalc')).toEqual(['chalk']);
    expect(matches('Does wasm work in the browser?', 'wasm')).toEqual([]);
  }, 120_000);
});

describe('who-questions', () => {
  it('abstain when the best sentence names nobody, and answer with the name when it does', async () => {
    const speeches = await engineOf('sotu', 'evals/corpora/sotu', ['1941_franklin_d_roosevelt_d.txt', '2002_george_w_bush_r.txt']);
    // The speech quotes "Those, who would give up essential liberty…" without naming its author.
    const unnamed = await speeches.ask({
      question: 'Who did FDR name as the author of the line about giving up essential liberty for a little temporary safety?',
      debug: true,
    });
    expect(unnamed.abstained).toBe(true);
    expect(unnamed.debug?.abstainReason).toBe('no name in the best candidate');
    const named = await speeches.ask({ question: "Who was Afghanistan's new Minister of Women's Affairs?" });
    expect(named.abstained).toBe(false);
    expect(named.citations[0]?.text).toContain('Dr. Sima Samar');
  }, 120_000);

  it('include "which senator…", whose category is first of all a person', async () => {
    const wilson = await engineOf('sotu', 'evals/corpora/sotu2', ['1913_woodrow_wilson_d.txt']);
    // Wilson urges the Senate to pass the currency bill; he names no senator.
    const r = await wilson.ask({ question: 'Which senator sponsored the currency bill?', debug: true });
    expect(r.abstained).toBe(true);
    expect(r.debug?.abstainReason).toBe('no name in the best candidate');
  }, 120_000);
});

describe('a question about a default', () => {
  it('abstains when the best unit names no default, and answers from one that does', async () => {
    const readme = await engineOf('readmes', 'evals/corpora/readmes2', ['debug.md']);
    // The README's table gives `DEBUG_DEPTH` a purpose ("Object inspection depth."), not a default.
    const unsaid = await readme.ask({ question: 'What is the default value of DEBUG_DEPTH in debug?', debug: true });
    expect(unsaid.abstained).toBe(true);
    expect(unsaid.debug?.abstainReason).toBe('no default in the best candidate');
    expect(unsaid.answer).toBe("The documents don't say: the passages closest to the question give no default.");
    const said = await readme.ask({ question: 'Where does debug log by default?' });
    expect(said.abstained).toBe(false);
    // "By default `debug` will log to stderr, …" or "… by default stderr is used": either says where.
    expect(said.answer).toMatch(/[Bb]y default[^.]*stderr|stderr is used/);
  }, 120_000);
});

describe('an abstention', () => {
  it('offers each closest passage once, though the README repeats it', async () => {
    const readme = await engineOf('readmes', 'evals/corpora/readmes3', ['uuid.md']);
    // uuid's README repeats its options table under v1, v6 and v7: the same `options.rng` row three times.
    const r = await readme.ask({ question: 'Which function do I call to get a completely random identifier?' });
    expect(r.abstained).toBe(true);
    const quotes = r.citations.map((c) => c.quote.replace(/\s+/g, ' ').trim());
    expect(quotes.length).toBeGreaterThan(1);
    expect(new Set(quotes).size).toBe(quotes.length);
    for (const c of r.citations) expect(c.text).toBe(readme.documents.get(c.docId)?.text.slice(c.start, c.end));
  }, 120_000);

  it('quotes what each closest passage says, not the heading it opens with', async () => {
    const readme = await engineOf('readmes', 'evals/corpora/readmes4', ['pg-pool.md']);
    const r = await readme.ask({ question: 'Does pg-pool support CORS?' });
    expect(r.abstained).toBe(true);
    expect(r.citations.length).toBeGreaterThan(0);
    for (const c of r.citations) {
      const text = readme.documents.get(c.docId)?.text ?? '';
      const at = c.start + c.text.indexOf(c.quote);
      // Not "### your new favorite helper method": the sentence under it.
      expect(text.slice(text.lastIndexOf('\n', at - 1) + 1, at)).not.toMatch(/#/);
      expect(c.quote.length).toBeGreaterThan(20);
    }
  }, 120_000);
});

describe('a server engine, answering before its HNSW graph is read', () => {
  const questions = [
    'What did Lukashenko say about peace talks?',
    'How far can the Burevestnik fly?',
    'Where were the ceasefire talks supposed to be held?',
  ];

  it('finds by exact search the passages the graph finds', async () => {
    for (const q of questions) {
      const vector = await engine.retriever.embedQuery(q);
      const exact = exactNearest(vector, engine.index.vectors, 20);
      const graph = engine.retriever.searchDense(vector, 20);
      expect(exact.map(([i]) => i)).toEqual(graph.map(([i]) => i));
      exact.forEach(([, s], r) => expect(s).toBeCloseTo((graph[r] as [number, number])[1], 5));
    }
  });

  it('searches exactly while the graph is unread, and the graph once it is', async () => {
    const { passages, vectors, hnsw, manifest } = engine.index;
    const unread = new hnswlib.HierarchicalNSW(manifest.hnsw.space, manifest.model.dimensions);
    let read = (): void => undefined;
    const graphRead = new Promise<void>((resolve) => {
      read = resolve;
    });
    // An unread hnswlib index throws if searched: the retriever must not touch it before `graphRead`.
    const retriever = new Retriever(passages, vectors, unread, engine.embedder, engine.documents, undefined, graphRead);
    const vector = await engine.retriever.embedQuery(questions[0] as string);
    expect(retriever.searchDense(vector, 10)).toEqual(exactNearest(vector, vectors, 10));
    const served = new Retriever(passages, vectors, hnsw, engine.embedder, engine.documents, undefined, graphRead);
    read();
    await graphRead;
    expect(served.searchDense(vector, 10)).toEqual(engine.retriever.searchDense(vector, 10));
    expect(() => unread.searchKnn(Array.from(vector), 10)).toThrow();
  });

  it('answers as an engine that waited for the graph, then reads it', async () => {
    const early = await loadEngine({ indexDir: inject('seedsIndexDir'), graphLater: true });
    const answers = await Promise.all(questions.map((question) => early.ask({ question })));
    const waited = await Promise.all(questions.map((question) => engine.ask({ question })));
    expect(answers.map((a) => [a.answer, a.citations])).toEqual(waited.map((a) => [a.answer, a.citations]));
    await early.index.graphRead;
    expect(early.index.hnsw.getCurrentCount()).toBe(early.index.passages.length);
  });
});
