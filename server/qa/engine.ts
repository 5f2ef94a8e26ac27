import type { Embedder, EmbedderFactory } from '../../ingest/embedder.ts';
import { IndexError, type LoadedIndex, loadIndex } from '../../store/generations.ts';
import type { DocumentRecord, Passage } from '../../store/format.ts';
import type { AskResult, ChatTurn } from './contract.ts';
import {
  ANSWER_TUNING,
  type Bag,
  bagOf,
  composeAnswer,
  describeCandidates,
  type ScoredUnit,
} from './compose.ts';
import { idf } from '../../store/lexical/bm25.ts';
import { contextWords, fileNameWords } from '../../store/lexical/document-context.ts';
import { DECISION_FEATURES, type DocumentView, FEATURES } from './features.ts';
import { loadScorer, type Scorer } from './scorer.ts';
import { loadWordNet } from './wordnet.ts';
import { loadInflections } from './inflections.ts';
import { neighboursOf } from './units.ts';
import { peopleIn } from './span.ts';
import { analyseQuestion, loadQuestionReader, type QueryTerm } from './question.ts';
import { type ExpandedTerm, FUSED_READ_DEPTH, passagesToRead, type RetrievalMode, type Retrieved, Retriever } from './retrieve.ts';
import { WordVectors } from './word-vectors.ts';

export interface AskInput {
  question: string;
  history?: ChatTurn[];
  k?: number;
  /** Return the top candidates with their features and probabilities. */
  debug?: boolean;
}

let defaultScorer: Scorer | null = null;
/** The committed weights (server/qa/weights.json), read once. */
export function committedScorer(): Scorer {
  defaultScorer ??= loadScorer(FEATURES, DECISION_FEATURES);
  return defaultScorer;
}

export const DEFAULT_K = 5;

const round = (ms: number) => Math.round(ms * 100) / 100;

/**
 * Word vectors per embedder and each document's words (`documentView`), shared by every engine: an engine
 * built over a changed index (a document added or deleted) answers its first questions as fast as the one
 * it replaces, instead of embedding their words and reading their documents again.
 */
const wordVectorsOf = new WeakMap<Embedder, WordVectors>();
const views = new WeakMap<DocumentRecord, DocumentView>();
/** A document's file-name words, kept across the engines an add or delete builds: 115k documents at 1M passages. */
const fileNameBags = new WeakMap<DocumentRecord, Bag>();
function fileNameBag(doc: DocumentRecord): Bag {
  let bag = fileNameBags.get(doc);
  if (!bag) {
    bag = bagOf(fileNameWords(doc).join(' '));
    fileNameBags.set(doc, bag);
  }
  return bag;
}

/** Answers questions over one loaded index. Immutable: a reload builds a new Engine and swaps it in. */
export class Engine {
  readonly documents: Map<string, DocumentRecord>;
  readonly retriever: Retriever;
  private readonly wordVectors: WordVectors;
  /** IDF of a term no passage contains: the most informative a word can be in this corpus. */
  private readonly maxIdf: number;

  constructor(
    readonly index: LoadedIndex,
    readonly embedder: Embedder,
    /** Search over another store (Postgres: dense search by pgvector); by default BM25 and the index's HNSW. */
    makeRetriever?: (documents: Map<string, DocumentRecord>) => Retriever,
  ) {
    this.documents = new Map(index.documents.map((d) => [d.docId, d]));
    this.retriever = makeRetriever
      ? makeRetriever(this.documents)
      : new Retriever(index.passages, index.vectors, index.hnsw, embedder, this.documents, index.labels, index.graphRead);
    let wordVectors = wordVectorsOf.get(embedder);
    if (!wordVectors) {
      wordVectors = new WordVectors(embedder);
      wordVectorsOf.set(embedder, wordVectors);
    }
    this.wordVectors = wordVectors;
    this.maxIdf = idf(this.retriever.bm25, '\u0000');
  }

  get modelId(): string {
    return this.index.manifest.model.id;
  }

  /** The words of a whole document and of its title and file name, computed once per document. */
  private documentView(docId: string): DocumentView {
    const doc = this.documents.get(docId);
    let view = doc && views.get(doc);
    if (!view) {
      const text = bagOf(doc?.text ?? '');
      const context = bagOf(doc ? contextWords(doc).join(' ') : '');
      view = {
        text,
        context,
        whole: { stems: new Set([...text.stems, ...context.stems]), surface: [] },
        people: peopleIn(doc?.text ?? ''),
        fileName: doc ? fileNameBag(doc) : bagOf(''),
      };
      if (doc) views.set(doc, view);
    }
    return view;
  }

  /**
   * The file names (as words) of every document whose file name holds a word of the question or of the one
   * it follows: the question may name a document none of whose passages was read.
   */
  private namedFiles(terms: readonly ExpandedTerm[], followed: readonly QueryTerm[]): Bag[] {
    const named = new Set<string>();
    for (const stem of [...terms.flatMap((t) => t.matches), ...followed.map((t) => t.stem)]) {
      for (const id of this.retriever.filesNamed(stem)) named.add(id);
    }
    return [...named].flatMap((id) => {
      const doc = this.documents.get(id);
      return doc ? [fileNameBag(doc)] : [];
    });
  }

  /** Reads the question, then searches: the shared first half of `retrieve` and `ask`. */
  private async search(question: string, history: ChatTurn[] | undefined, mode: RetrievalMode, k: number) {
    const analysed = analyseQuestion(question, history);
    const terms = this.retriever.expand(analysed.terms);
    const queryVector = await this.retriever.embedQuery(analysed.searchText);
    const retrieved = await this.retriever.search({ terms, queryVector, mode, k });
    return { analysed, terms, retrieved };
  }

  async retrieve(
    query: string,
    opts: { mode: RetrievalMode; k: number; history?: ChatTurn[] },
  ): Promise<Retrieved[]> {
    return (await this.search(query, opts.history, opts.mode, opts.k)).retrieved;
  }

  /** Answers a question (the `/ask` contract), plus why it abstained for logs and evals. */
  async ask(input: AskInput, scorer?: Scorer): Promise<AskResult & { abstainReason: string | null }> {
    const { candidates: _, ...result } = await this.answer(input, scorer);
    return result;
  }

  /** `ask` with every scored candidate kept (for training and the eval report). */
  async answer(
    input: AskInput,
    scorer: Scorer = committedScorer(),
  ): Promise<AskResult & { abstainReason: string | null; candidates: ScoredUnit[] }> {
    const t0 = performance.now();
    const k = input.k ?? DEFAULT_K;
    const found = await this.search(input.question, input.history, 'hybrid', Math.max(k, FUSED_READ_DEPTH));
    const { analysed, terms } = found;
    const read = passagesToRead(found.retrieved, ANSWER_TUNING.passagesRead, ANSWER_TUNING.lexicalHeadRead);
    // Vectors of the question's words and of the words it will be compared with, before the (sync) composition.
    // A unit may reach into the passage before or after a passage read (a pair across passages).
    const neighbours = read.flatMap((r) => {
      const { before, after } = neighboursOf(r, this.retriever.passages);
      return [before, after].filter((p): p is Passage => p !== undefined);
    });
    await this.wordVectors.ensure([
      ...analysed.terms.map((t) => t.word),
      ...analysed.counted,
      ...[...read.map((r) => r.passage), ...neighbours].flatMap((p) => bagOf(p.text).surface),
    ]);
    const t1 = performance.now();
    const composed = composeAnswer(
      analysed,
      terms,
      read,
      this.documents,
      k,
      this.wordVectors,
      (id) => this.documentView(id),
      scorer,
      this.maxIdf,
      this.retriever.passages,
      this.namedFiles(terms, analysed.followed),
    );
    const t2 = performance.now();
    return {
      answer: composed.answer,
      abstained: composed.abstained,
      citations: composed.citations,
      ...(composed.answerSpan ? { answerSpan: composed.answerSpan } : {}),
      confidence: Math.round(composed.confidence * 1000) / 1000,
      abstainReason: composed.abstainReason,
      candidates: composed.candidates,
      timings: { retrieveMs: round(t1 - t0), answerMs: round(t2 - t1), totalMs: round(t2 - t0) },
      ...(input.debug
        ? { debug: { candidates: describeCandidates(composed.candidates, scorer, this.documents), abstainReason: composed.abstainReason } }
        : {}),
    };
  }
}

/**
 * Loads the model in this thread. Imported on first use: a process whose embedder runs in a thread of its
 * own (the server) never loads transformers.js and onnxruntime-node on its event loop.
 */
export const embedderInThisThread: EmbedderFactory = async (opts) =>
  (await import('../../ingest/embedder.ts')).createEmbedder(opts);

/**
 * Loads the index and the embedder it was built with. A server configured with another model than the
 * index refuses to start, since query and passage vectors would live in different spaces.
 */
export async function loadEngine(opts: {
  indexDir: string;
  modelsDir?: string;
  modelId?: string;
  embedder?: Embedder;
  /** How a model is loaded when no `embedder` is given (default: in this thread). */
  createEmbedder?: EmbedderFactory;
  /** Answer before the HNSW graph is read, by exact dense search (a server; evals wait for the graph). */
  graphLater?: boolean;
}): Promise<Engine> {
  const modelsDir = opts.modelsDir ?? 'models';
  const createEmbedder = opts.createEmbedder ?? embedderInThisThread;
  // WordNet (read on the thread pool) and the embedder load while the index files are read and checksummed:
  // the model the manifest names, unless the server is configured with another (refused below, nothing loaded).
  // Both before the first question rather than during it: answering uses WordNet for soft matching and spans.
  const wordNetRead = loadWordNet();
  wordNetRead.catch(() => undefined);
  // The embedder starts loading as soon as the index's manifest names its model.
  const early: { embedder?: Promise<Embedder> } = {};
  const index = await loadIndex(opts.indexDir, {
    onManifest: (manifest) => {
      const named = manifest.model.id;
      if (opts.embedder || (opts.modelId && opts.modelId !== named)) return;
      early.embedder = createEmbedder({ modelId: named, modelsDir }).then((e) => {
        loadInflections();
        return e;
      });
      // A failure is reported after the index's own errors, as when the two loaded one after the other.
      early.embedder.catch(() => undefined);
    },
    whileVerifying: loadQuestionReader,
    graphLater: opts.graphLater ?? false,
  });
  const indexModel = index.manifest.model.id;
  if (opts.modelId && opts.modelId !== indexModel) {
    throw new IndexError(
      `index built with ${indexModel}, server configured with ${opts.modelId}`,
      'run npm run ingest to rebuild the index with the configured model',
    );
  }
  const embedder = opts.embedder ?? (await (early.embedder ?? createEmbedder({ modelId: indexModel, modelsDir })));
  if (embedder.id !== indexModel || embedder.dimensions !== index.manifest.model.dimensions) {
    throw new IndexError(`index built with ${indexModel}, embedder is ${embedder.id}`, 'run npm run ingest');
  }
  await wordNetRead;
  loadInflections();
  return new Engine(index, embedder);
}
