import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import {
  link,
  mkdir,
  open,
  readdir,
  readFile,
  readlink,
  realpath,
  rename,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import path from 'node:path';
import hnswlib from 'hnswlib-node';
import type { Bm25Index } from './lexical/bm25.ts';
import { applyChange, decodeChange, identityLabels, type IndexRows } from './index-changes.ts';
import { compactLexical, LayeredPostings } from './lexical/live-postings.ts';
import { initialismsOf } from './lexical/initialisms.ts';
import {
  buildLexical,
  decodeLexicalFile,
  encodeLexical,
  lexicalTexts,
  registerLexical,
  tokenizerVersion,
} from './lexical/lexical-index.ts';
import { digestFiles, type FileDigest } from './checksum-thread.ts';
import { decodeDocuments } from './document-lines.ts';
import { mapLines } from './json-lines.ts';
import { decodePassageTable, encodePassageTable } from './passage-table.ts';
import {
  type DocumentRecord,
  type HnswParams,
  type Manifest,
  ManifestSchema,
  type Passage,
  PassageSchema,
} from './format.ts';

const { HierarchicalNSW } = hnswlib;
export type HnswIndex = InstanceType<typeof HierarchicalNSW>;

/**
 * On disk, `INDEX_DIR` (e.g. `data/index`) is a symlink to one complete generation directory
 * (`data/index.generations/<id>/`). A new index is written in full into a fresh generation and published
 * by atomically renaming a new symlink over the old one, so a reader sees either the old or the new index,
 * and a killed ingest leaves the previous one untouched.
 */
export const FILES = {
  manifest: 'manifest.json',
  documents: 'documents.jsonl',
  passages: 'passages.jsonl',
  vectors: 'vectors.f32',
  hnsw: 'hnsw.bin',
  lexical: 'lexical.bin',
  /** Written only by an incremental change (ingest/incremental-update.ts): passage position → HNSW label. */
  labels: 'labels.u32',
  /** The adds and deletes to replay on the linked files of an earlier generation (see store/index-changes.ts). */
  changes: 'changes.jsonl',
  /** The passages as numbers (store/passage-table.ts): loaded instead of parsing passages.jsonl. */
  passageTable: 'passages.bin',
} as const;

/**
 * Measured at 100k passages (300 queries, recall@10 against exact search, ties counted): M=24 with
 * efConstruction 64 builds in 60% of the time of M=32/100 (11.1 vs 18.6 s; the HNSW insertions were half of
 * ingest) and at efSearch 192 finds as much as M=32/100 did at 128 (0.997 vs 0.997; 0.29 vs 0.24 ms a query).
 * M=16 builds faster still but loses recall (0.987 at 192). Earlier: M=32/100 beat M=16/200 on both.
 */
export const DEFAULT_HNSW: HnswParams = { space: 'cosine', m: 24, efConstruction: 64, efSearch: 192 };

export interface IndexData {
  manifest: Manifest;
  documents: DocumentRecord[];
  passages: Passage[];
  /** Row i is passage i's embedding (normalised). */
  vectors: Float32Array[];
  /**
   * BM25 over the passages (see store/lexical/lexical-index.ts): built by writeIndex when absent; on a loaded index,
   * the persisted one when it was built with this tokenizer.
   */
  lexical?: Bm25Index;
  /** The HNSW label of each passage; absent: label = position (a graph built by `buildHnsw`). */
  labels?: Uint32Array;
  /** The corpus's initialisms (server/qa/initialisms.ts), when the caller has them: else computed. */
  initialisms?: Map<string, string[]>;
}

export interface LoadedIndex extends IndexData {
  hnsw: HnswIndex;
  /**
   * Pending while `hnsw` is still being read (`loadIndex` with `graphLater`): it must not be used before this
   * settles (dense search is then exact, `Retriever`); absent once read. Rejects if the graph cannot be read.
   */
  graphRead?: Promise<void>;
  /** The generation directory that was loaded (the symlink resolved once, so all files match). */
  dir: string;
}

export class IndexError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = 'IndexError';
  }
}

function generationsDir(indexDir: string): string {
  return `${path.resolve(indexDir)}.generations`;
}

/**
 * Builds an HNSW graph one passage at a time (label = position), growing its capacity as it goes, so ingest
 * can insert each batch as soon as it is embedded. The same insertions in the same order give the same graph
 * (and, trimmed to size by `finish`, the same file) whatever the capacity along the way.
 */
export function hnswBuilder(dims: number, params: HnswParams, expected = 1024) {
  const index = new HierarchicalNSW(params.space, dims);
  index.initIndex({
    maxElements: Math.max(1, expected),
    m: params.m,
    efConstruction: params.efConstruction,
    randomSeed: 42,
  });
  let count = 0;
  return {
    add(vector: Float32Array): void {
      if (count === index.getMaxElements()) index.resizeIndex(count * 2);
      index.addPoint(Array.from(vector), count++);
    },
    finish(): HnswIndex {
      index.resizeIndex(Math.max(1, count));
      index.setEf(params.efSearch);
      return index;
    },
  };
}

/** Size and sha256 of a file, read in chunks (hnsw.bin at 1M passages is most of a GB). */
async function checksumFile(file: string): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 22 }) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.byteLength;
  }
  return { bytes, sha256: hash.digest('hex') };
}

/**
 * JSON lines in chunks of about 16 MB, made as they are written: at 1M passages the whole file is longer
 * than the longest string V8 can hold (512 MB), and all of it at once would add to ingest's peak memory.
 */
function* jsonl(rows: unknown[]): Generator<Uint8Array> {
  let lines: string[] = [];
  let size = 0;
  for (const r of rows) {
    const line = JSON.stringify(r);
    lines.push(line);
    size += line.length;
    if (size > 1 << 24) {
      yield Buffer.from(`${lines.join('\n')}\n`, 'utf8');
      lines = [];
      size = 0;
    }
  }
  if (lines.length) yield Buffer.from(`${lines.join('\n')}\n`, 'utf8');
}

/** The vectors as one row-major float32 file, in chunks of 64k rows rather than one copy of them all. */
function* vectorChunks(vectors: Float32Array[], dims: number): Generator<Uint8Array> {
  const rows = 1 << 16;
  for (let i = 0; i < vectors.length; i += rows) {
    const flat = new Float32Array(Math.min(rows, vectors.length - i) * dims);
    for (let j = 0; j * dims < flat.length; j++) flat.set(vectors[i + j] as Float32Array, j * dims);
    yield new Uint8Array(flat.buffer);
  }
}

/** Writes `data` and fsyncs it before returning; `flag` 'wx' refuses to overwrite an existing file. */
export async function writeDurable(file: string, data: string | Uint8Array, flag: 'w' | 'wx' = 'w'): Promise<void> {
  const fh = await open(file, flag);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function writeDurableChunks(file: string, chunks: Iterable<Uint8Array>): Promise<void> {
  const fh = await open(file, 'w');
  try {
    for (const c of chunks) await fh.write(c);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Thrown by `writeIndex` when its `stop` said so: nothing was published, the partial generation removed. */
export class WriteStopped extends Error {
  constructor() {
    super('the index write was stopped before it was published');
    this.name = 'WriteStopped';
  }
}

/**
 * Writes a complete index as a new generation and publishes it atomically (call inside withIndexLock).
 * `stop`, asked between files and chunks, ends the write unpublished (`WriteStopped`): a background merge
 * gives way to a change waiting for the lock.
 */
export async function writeIndex(
  indexDir: string,
  data: IndexData,
  hnsw: HnswIndex,
  stop: () => boolean = () => false,
): Promise<string> {
  const { dir, partial } = await newGeneration(indexDir);
  const check = () => {
    if (stop()) throw new WriteStopped();
  };
  const write = (name: string, chunks: Iterable<Uint8Array>) =>
    writeDurableChunks(path.join(partial, name), (function* () {
      for (const c of chunks) {
        check();
        yield c;
      }
    })());
  try {
    await write(FILES.documents, jsonl(data.documents));
    await write(FILES.passages, jsonl(data.passages));
    await write(FILES.vectors, vectorChunks(data.vectors, data.manifest.model.dimensions));
    check();
    await hnsw.writeIndex(path.join(partial, FILES.hnsw));
    check();
    const lexical = data.lexical ? compactLexical(data.lexical) : buildLexical(lexicalTexts(data.passages, data.documents));
    await write(FILES.lexical, encodeLexical(lexical, data.initialisms ?? initialismsOf(data.documents)));
    const table = encodePassageTable(data.passages, data.documents);
    if (table) await write(FILES.passageTable, table);
    const names: string[] = [FILES.documents, FILES.passages, FILES.vectors, FILES.hnsw, FILES.lexical];
    if (table) names.push(FILES.passageTable);
    if (data.labels) {
      const { labels } = data;
      await writeDurable(path.join(partial, FILES.labels), new Uint8Array(labels.buffer, labels.byteOffset, labels.byteLength));
      names.push(FILES.labels);
    }
    const files: NonNullable<Manifest['files']> = {};
    for (const name of names) {
      check();
      files[name] = await checksumFile(path.join(partial, name));
    }
    check();
    const { changes: _, ...whole } = data.manifest;
    const manifest: Manifest = {
      ...whole,
      files,
      lexical: { file: FILES.lexical, tokenizer: tokenizerVersion() },
    };
    return await finishGeneration(indexDir, partial, dir, manifest);
  } catch (err) {
    if (err instanceof WriteStopped) await rm(partial, { recursive: true, force: true });
    throw err;
  }
}

/** Writes the manifest into the complete `partial` generation, renames it to `dir` and publishes it. */
async function finishGeneration(indexDir: string, partial: string, dir: string, manifest: Manifest): Promise<string> {
  // The manifest goes last: a generation without one is never published.
  await writeDurable(path.join(partial, FILES.manifest), `${JSON.stringify(manifest, null, 2)}\n`);
  // The generation served until now: kept one more round, since a running server may still read it.
  const served = await readlink(path.resolve(indexDir)).catch(() => null);
  await rename(partial, dir);
  await publish(indexDir, dir);
  await pruneGenerations(indexDir, served === null ? null : path.basename(served));
  return dir;
}

/** A new generation's directory, its `.partial` name, leftovers of killed writers removed first. */
async function newGeneration(indexDir: string): Promise<{ dir: string; partial: string }> {
  const gens = generationsDir(indexDir);
  await mkdir(gens, { recursive: true });
  await removeLeftovers(indexDir);
  const id = `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(4).toString('hex')}`;
  const dir = path.join(gens, id);
  const partial = `${dir}.partial`;
  await mkdir(partial);
  return { dir, partial };
}

/**
 * Publishes a generation made of the files of generation `from` (hard links: nothing large is written or
 * hashed again) and `changes`, the changes since them (store/index-changes.ts). `manifest` describes the
 * index after the changes; its `files` are `from`'s, whose checksums still hold. Call inside withIndexLock.
 */
export async function writeChangedIndex(
  indexDir: string,
  from: string,
  manifest: Manifest,
  changes: Uint8Array,
): Promise<string> {
  const { dir, partial } = await newGeneration(indexDir);
  const files: NonNullable<Manifest['files']> = {};
  for (const [name, sum] of Object.entries(manifest.files ?? {})) {
    if (name === FILES.changes) continue;
    await link(path.join(from, name), path.join(partial, name));
    files[name] = sum;
  }
  await writeDurable(path.join(partial, FILES.changes), changes);
  files[FILES.changes] = { bytes: changes.byteLength, sha256: createHash('sha256').update(changes).digest('hex') };
  await syncDirectory(partial);
  return finishGeneration(indexDir, partial, dir, { ...manifest, files });
}

/** Makes the links created in `dir` durable (best effort: not every file system lets a directory be synced). */
async function syncDirectory(dir: string): Promise<void> {
  const fh = await open(dir, 'r').catch(() => null);
  await fh?.sync().catch(() => {});
  await fh?.close();
}

async function publish(indexDir: string, generation: string): Promise<void> {
  const link = path.resolve(indexDir);
  const tmpLink = `${link}.link-${randomBytes(4).toString('hex')}`;
  await mkdir(path.dirname(link), { recursive: true });
  await symlink(path.relative(path.dirname(link), generation), tmpLink, 'dir');
  try {
    await rename(tmpLink, link);
  } catch (err) {
    await rm(tmpLink, { force: true });
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EISDIR' || code === 'ENOTEMPTY' || code === 'EEXIST') {
      throw new IndexError(
        `${indexDir} is a plain directory, not an index link`,
        `move it away, then run npm run ingest`,
      );
    }
    throw err;
  }
}

/**
 * Keeps the generation just published and the one it replaced (a running server may still read it), and
 * removes the rest: `.partial` leftovers and generations a killed ingest renamed but never published.
 * Callers hold the index lock, so none is in use by another writer.
 */
async function pruneGenerations(indexDir: string, replaced: string | null): Promise<void> {
  const gens = generationsDir(indexDir);
  const current = path.basename(await readlink(path.resolve(indexDir)));
  const keep = new Set([current, replaced]);
  for (const e of await readdir(gens)) {
    if (!keep.has(e)) await rm(path.join(gens, e), { recursive: true, force: true });
  }
}

/**
 * What killed ingests leave: half-written `.partial` generations and temporary `<index>.link-*` links (a
 * kill between creating the new link and renaming it over the index link). Never the served generation.
 */
async function removeLeftovers(indexDir: string): Promise<void> {
  const gens = generationsDir(indexDir);
  for (const e of await readdir(gens)) {
    if (e.endsWith('.partial')) await rm(path.join(gens, e), { recursive: true, force: true });
  }
  const link = path.resolve(indexDir);
  const prefix = `${path.basename(link)}.link-`;
  for (const e of await readdir(path.dirname(link)).catch(() => [] as string[])) {
    if (e.startsWith(prefix)) await rm(path.join(path.dirname(link), e), { force: true });
  }
}

const PASSAGE_KEYS = ['id', 'docId', 'start', 'end', 'text', 'sentences', 'hash'];
/** The fast check below covers exactly these fields; a schema with others is always checked by zod. */
const PASSAGE_FAST_PATH = Object.keys(PassageSchema.shape).sort().join() === [...PASSAGE_KEYS].sort().join();
const isOffset = (n: unknown) => Number.isInteger(n) && (n as number) >= 0;

/**
 * PassageSchema's check for a row with exactly its fields, written out: zod took a fifth of loading the
 * passages at 100k. Anything else (a missing, extra or odd field) goes through zod and its error.
 */
function isPlainPassage(v: unknown): v is Passage {
  if (!PASSAGE_FAST_PATH || typeof v !== 'object' || v === null) return false;
  const p = v as Record<string, unknown>;
  let keys = 0;
  for (const _ in p) keys++;
  return (
    keys === PASSAGE_KEYS.length &&
    typeof p.id === 'string' &&
    typeof p.docId === 'string' &&
    isOffset(p.start) &&
    isOffset(p.end) &&
    typeof p.text === 'string' &&
    typeof p.hash === 'string' &&
    Array.isArray(p.sentences) &&
    p.sentences.every(
      (s: unknown) => Array.isArray(s) && s.length === 2 && Number.isInteger(s[0]) && Number.isInteger(s[1]),
    )
  );
}

/** A JSON-lines index file's line that `mapLines` could not read (its message names the line). */
const corruptLines = (file: string, err: unknown) =>
  new IndexError(`${file} ${(err as Error).message}`, 'run npm run ingest to rebuild the index');

/** The records of a JSON-lines index file, each checked by `valid` or else by zod. */
function parseJsonl<T>(
  bytes: Uint8Array,
  schema: { parse(v: unknown): T },
  file: string,
  valid: (v: unknown) => v is T = (_v): _v is T => false,
): T[] {
  try {
    return mapLines(bytes, (buf, start, end) => {
      const v: unknown = JSON.parse(buf.toString('utf8', start, end));
      return valid(v) ? v : schema.parse(v);
    });
  } catch (err) {
    throw corruptLines(file, err);
  }
}

/** Reads the manifest only (cheap): used to decide whether a rebuild is needed. */
export async function readManifest(indexDir: string): Promise<Manifest | null> {
  try {
    return ManifestSchema.parse(JSON.parse(await readFile(path.join(indexDir, FILES.manifest), 'utf8')));
  } catch {
    return null;
  }
}

/**
 * The number of points in an hnswlib graph file, from its header (after two size_t fields, offsetLevel0
 * and maxElements, as hnswlib's saveIndex writes them on a 64-bit little-endian machine).
 */
async function graphPoints(file: string): Promise<number> {
  const handle = await open(file, 'r');
  try {
    const header = Buffer.alloc(24);
    const { bytesRead } = await handle.read(header, 0, 24, 0);
    if (bytesRead < 24) throw new Error('truncated header');
    const count = header.readBigUInt64LE(16);
    if (count > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error('bad header');
    return Number(count);
  } finally {
    await handle.close();
  }
}

/**
 * Loads and validates a whole index; throws IndexError with a hint on anything missing or inconsistent.
 * `onManifest` gets the manifest as soon as it is read (a server starts loading the model it names; reading
 * it a second time for that was 0.5 s of a 1M start). `whileVerifying` runs once this thread has parsed what
 * it reads and waits for the checksums and the graph (a server prepares its question reader there). With
 * `graphLater`, the index is returned once every file is verified and the graph's header matches, and
 * hnswlib reads the graph from then on (`graphRead`): at 1M passages that read was 5 of a 9 s cold start,
 * and a question can be answered by exact search meanwhile.
 */
export async function loadIndex(
  indexDir: string,
  opts: { onManifest?: (manifest: Manifest) => void; whileVerifying?: () => void; graphLater?: boolean } = {},
): Promise<LoadedIndex> {
  let dir: string;
  try {
    dir = await realpath(indexDir);
  } catch {
    throw new IndexError(`no index at ${indexDir}`, 'run npm run ingest to build it');
  }
  const readRaw = async (name: string) => {
    try {
      return await readFile(path.join(dir, name));
    } catch {
      throw new IndexError(
        `index file ${name} is missing in ${indexDir}`,
        'run npm run ingest to rebuild the index',
      );
    }
  };
  let manifest: Manifest;
  try {
    manifest = ManifestSchema.parse(JSON.parse((await readRaw(FILES.manifest)).toString('utf8')));
  } catch (err) {
    if (err instanceof IndexError) throw err;
    throw new IndexError(
      `${FILES.manifest} in ${indexDir} is corrupt`,
      'run npm run ingest to rebuild the index',
    );
  }
  opts.onManifest?.(manifest);
  const { files } = manifest;
  if (!files) {
    // Written by an older version: nothing proves its files are the ones the manifest describes.
    throw new IndexError(
      `${FILES.manifest} in ${indexDir} has no checksums (an index from an older version)`,
      'run npm run ingest to rebuild the index',
    );
  }
  const useLexical = manifest.lexical?.tokenizer === tokenizerVersion();
  // With a passage table, passages.jsonl (the readable form) is not read, so not hashed either: a quarter of
  // the bytes a start hashed at 100k passages. Every file read is verified.
  const tabled = Boolean(files[FILES.passageTable]);
  // The graph first: without `graphLater` it is read (by hnswlib, on the thread pool) as soon as it is known
  // intact, while this thread parses the rest (at 1M passages reading it is seconds of work).
  const checked: string[] = [FILES.hnsw, FILES.documents, tabled ? FILES.passageTable : FILES.passages, FILES.vectors];
  if (manifest.lexical && useLexical) checked.push(manifest.lexical.file);
  // An incrementally changed generation: its label map and the change log replayed on the linked files.
  if (files[FILES.labels]) checked.push(FILES.labels);
  if (manifest.changes) checked.push(manifest.changes.file);
  for (const name of checked) {
    if (!files[name]) {
      throw new IndexError(
        `${FILES.manifest} in ${indexDir} has no checksum for ${name}`,
        'run npm run ingest to rebuild the index',
      );
    }
  }
  /**
   * Every file's sha256 is computed in another thread (store/checksum-thread.ts) while this one parses:
   * the checksums were a fifth of a cold start at 100k passages. Nothing read is used for the HNSW reader
   * or returned before every file is known intact.
   */
  const digests = digestFiles(checked.map((name) => path.join(dir, name)));
  const corrupt = (name: string, bytes: number) => {
    const what = bytes < (files[name]?.bytes ?? 0) ? 'truncated' : 'corrupt';
    return new IndexError(`${name} in ${indexDir} is ${what}`, 'run npm run ingest to rebuild the index');
  };
  const verify = async (name: string) => {
    const digest = await (digests.get(path.join(dir, name)) as Promise<FileDigest>).catch(() => {
      throw new IndexError(`index file ${name} is missing in ${indexDir}`, 'run npm run ingest to rebuild the index');
    });
    if (digest.bytes !== files[name]?.bytes || digest.sha256 !== files[name]?.sha256) throw corrupt(name, digest.bytes);
  };
  const verified = checked.map(verify);
  for (const v of verified) v.catch(() => undefined);
  const graph = new HierarchicalNSW(manifest.hnsw.space, manifest.model.dimensions);
  // With `graphLater` the graph is read once everything else is loaded: the read is seconds of a core's work
  // at 1M passages, and begun at once it slowed the checksums and parsing a start waits for (first answer
  // 5.8 → 5.0 s at 1M passages, 2.40 → 2.17 s at 100k; the graph in use ~1 s later than before).
  let startGraph = () => {};
  const graphMayStart = new Promise<void>((resolve) => {
    startGraph = resolve;
  });
  if (!opts.graphLater) startGraph();
  const graphRead = Promise.all([verified[0], graphMayStart]).then(async () => {
    await graph.readIndex(path.join(dir, FILES.hnsw));
    graph.setEf(manifest.hnsw.efSearch);
    return graph;
  });
  graphRead.catch(() => undefined);
  /** Reads a file this thread needs; a size other than the manifest's fails at once. */
  const readChecked = async (name: string) => {
    const bytes = await readRaw(name);
    if (bytes.byteLength !== files[name]?.bytes) throw corrupt(name, bytes.byteLength);
    return bytes;
  };
  /** A parse error in a file that fails its checksum is reported as the checksum failure. */
  const parseChecked = async <T>(name: string, parse: (bytes: Buffer) => T): Promise<T> => {
    const bytes = await readChecked(name);
    try {
      return parse(bytes);
    } catch (err) {
      await verified[checked.indexOf(name)];
      throw err;
    }
  };
  const vectorsRead = readChecked(FILES.vectors);
  const lexicalRead = manifest.lexical && useLexical ? readChecked(manifest.lexical.file) : null;
  const labelsRead = files[FILES.labels] ? readChecked(FILES.labels) : null;
  labelsRead?.catch(() => undefined);
  const changesRead = manifest.changes ? readChecked(manifest.changes.file) : null;
  changesRead?.catch(() => undefined);
  vectorsRead.catch(() => undefined);
  lexicalRead?.catch(() => undefined);
  const documents = await parseChecked(FILES.documents, (b) => {
    try {
      return decodeDocuments(b);
    } catch (err) {
      throw corruptLines(FILES.documents, err);
    }
  });
  const passages = tabled
    ? await parseChecked(FILES.passageTable, (b) => decodePassageTable(b, documents)).catch((err: unknown) => {
        if (err instanceof IndexError) throw err;
        throw new IndexError(`${FILES.passageTable} in ${indexDir} is corrupt`, 'run npm run ingest to rebuild the index');
      })
    : await parseChecked(FILES.passages, (b) => parseJsonl(b, PassageSchema, FILES.passages, isPlainPassage));
  const raw = await vectorsRead;
  const lexicalBytes = await lexicalRead;
  const labelBytes = await labelsRead;
  const changeBytes = await changesRead;
  opts.whileVerifying?.();
  await Promise.all(verified);
  const dims = manifest.model.dimensions;
  // The linked files of a changed generation hold the index before its changes.
  const base = manifest.changes?.base ?? manifest.counts;
  if (passages.length !== base.passages || documents.length !== base.documents) {
    throw new IndexError(
      `index in ${indexDir} is inconsistent with its manifest`,
      'run npm run ingest to rebuild the index',
    );
  }
  if (raw.byteLength !== passages.length * dims * 4) {
    throw new IndexError(
      `${FILES.vectors} in ${indexDir} is truncated`,
      'run npm run ingest to rebuild the index',
    );
  }
  // A view of the bytes read when they are aligned (a file read whole has a buffer of its own): at 1M
  // passages a copy is 400 MB.
  const flat =
    raw.byteOffset % 4 === 0
      ? new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4)
      : new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  const vectors = passages.map((_, i) => flat.subarray(i * dims, (i + 1) * dims));
  // The persisted BM25 index, if built with this tokenizer (else built below); decoded while the graph is read
  // (at 1M passages this thread waited seconds for it with the decoding still to do).
  let lexical: Bm25Index | undefined;
  let initialisms = new Map<string, string[]>();
  if (manifest.lexical && lexicalBytes) {
    const bytes = lexicalBytes;
    try {
      ({ index: lexical, initialisms } = decodeLexicalFile(bytes));
    } catch {
      throw new IndexError(
        `${manifest.lexical.file} in ${indexDir} is corrupt`,
        'run npm run ingest to rebuild the index',
      );
    }
    if (lexical.count !== passages.length) {
      throw new IndexError(
        `${manifest.lexical.file} in ${indexDir} is inconsistent`,
        'run npm run ingest to rebuild the index',
      );
    }
  }
  const corruptGraph = () =>
    new IndexError(`${FILES.hnsw} in ${indexDir} is corrupt`, 'run npm run ingest to rebuild the index');
  // Later: checked by its header's count of points for now (a generation with changes to replay on the
  // graph waits for it).
  const later = opts.graphLater === true && !changeBytes;
  if (!later) startGraph();
  const hnsw = later
    ? graph
    : await graphRead.catch(() => {
        throw corruptGraph();
      });
  const points = later
    ? await graphPoints(path.join(dir, FILES.hnsw)).catch(() => {
        throw corruptGraph();
      })
    : hnsw.getCurrentCount();
  const labels = labelBytes
    ? new Uint32Array(labelBytes.buffer.slice(labelBytes.byteOffset, labelBytes.byteOffset + labelBytes.byteLength))
    : undefined;
  // An incrementally changed graph also holds the deleted passages' points (marked deleted).
  const consistent = labels
    ? labels.length === passages.length && labels.every((l) => l < points)
    : points === passages.length;
  if (!consistent) {
    throw new IndexError(
      `${FILES.hnsw} in ${indexDir} is inconsistent`,
      'run npm run ingest to rebuild the index',
    );
  }
  let loaded: LoadedIndex = {
    manifest,
    documents,
    passages,
    vectors,
    hnsw,
    dir,
    ...(lexical ? { lexical } : {}),
    ...(labels ? { labels } : {}),
  };
  if (later) {
    loaded.graphRead = graphRead.then(
      () => undefined,
      () => {
        throw corruptGraph();
      },
    );
    loaded.graphRead.catch(() => undefined);
  }
  if (changeBytes) {
    try {
      ({ index: loaded, initialisms } = replayChanges(loaded, changeBytes, initialisms));
    } catch {
      throw new IndexError(`${FILES.changes} in ${indexDir} is inconsistent`, 'run npm run ingest to rebuild the index');
    }
  }
  if (!loaded.lexical) {
    // Written by another tokenizer (an older version): built here once, so the index is changed in place by
    // writes like any other instead of being rebuilt at each; the next whole generation persists it again.
    loaded = { ...loaded, lexical: buildLexical(lexicalTexts(loaded.passages, loaded.documents)) };
    initialisms = initialismsOf(loaded.documents);
  }
  registerLexical(loaded.passages, loaded.lexical as Bm25Index, initialisms);
  startGraph();
  return loaded;
}

/**
 * `index` (the files a changed generation links) with the changes of its changes.jsonl applied: a first line
 * with the corpus's initialisms after them, then one change per line. Throws if they don't fit the index.
 */
function replayChanges(
  index: LoadedIndex,
  bytes: Uint8Array,
  initialisms: Map<string, string[]>,
): { index: LoadedIndex; initialisms: Map<string, string[]> } {
  const [head, ...lines] = Buffer.from(bytes).toString('utf8').split('\n').filter(Boolean);
  const after = new Map((JSON.parse(head ?? '{}') as { initialisms?: Array<[string, string[]]> }).initialisms ?? initialisms);
  const counts = new Map<string, number>();
  for (const p of index.passages) counts.set(p.docId, (counts.get(p.docId) ?? 0) + 1);
  // Replayed from the linked files' own state; the manifest on disk describes the state after the changes.
  let rows: IndexRows = {
    ...index,
    manifest: {
      ...index.manifest,
      documents: index.documents.map((d) => ({ docId: d.docId, source: d.source, hash: d.hash, passages: counts.get(d.docId) ?? 0 })),
    },
    labels: index.labels ?? identityLabels(index.passages.length),
  };
  let { lexical } = index;
  for (const line of lines) {
    const applied = applyChange(rows, decodeChange(line), index.hnsw);
    if (!applied) throw new Error('a change does not apply');
    rows = applied.rows;
    if (lexical) lexical = LayeredPostings.over(lexical, applied.site);
  }
  const { manifest } = index;
  if (JSON.stringify(rows.manifest.documents) !== JSON.stringify(manifest.documents)) {
    throw new Error('the changes do not lead to the manifest');
  }
  return { index: { ...index, ...rows, manifest, ...(lexical ? { lexical } : {}) }, initialisms: after };
}

/** Locks this process holds now: a lock file naming this pid but not listed here is a previous life's. */
const heldHere = new Set<string>();

/**
 * Exclusive lock so two ingests never write the same index at once. Stale locks are taken over: a dead
 * pid's, or this pid's when this process does not hold it (a restarted container often gets the same pid).
 */
export async function withIndexLock<T>(indexDir: string, fn: () => Promise<T>): Promise<T> {
  const lock = `${path.resolve(indexDir)}.lock`;
  await mkdir(path.dirname(lock), { recursive: true });
  for (let attempt = 0; ; attempt++) {
    try {
      await writeFile(lock, String(process.pid), { flag: 'wx' });
      heldHere.add(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number((await readFile(lock, 'utf8').catch(() => '')) || 0);
      const stale = holder === process.pid ? !heldHere.has(lock) : !isAlive(holder);
      if (!holder || stale) {
        await rm(lock, { force: true });
        continue;
      }
      if (attempt > 600)
        throw new IndexError(`index ${indexDir} is locked by process ${holder}`, 'wait for it to finish');
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    return await fn();
  } finally {
    heldHere.delete(lock);
    await rm(lock, { force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
