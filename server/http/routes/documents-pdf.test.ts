import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { run, type RunningServer, seedsWorkspace, startServer, type Workspace } from '../../../test/helpers.ts';
import { corruptPdf, docxFile, imageOnlyPdf, pagesPdf } from '../../../test/pdf-fixtures.ts';

/** PDF and Word files through the documents API and the ingest CLI (a real server and CLI). */

const ADMIN = 'pdf-admin-token-0123456789';
const API = 'pdf-api-token-0123456789';

const REPORT = [
  ['Ostrand water report', 'The Ostrand reservoir was at 41 percent of capacity at the end of June.'],
  ['Engineers in Ostrand will replace 12 kilometres of leaking water mains before the winter.'],
  ['The Ostrand council set the new water tariff at 2.15 euros per cubic metre from January.'],
];

let ws: Workspace;
let server: RunningServer;
let good: Buffer;
beforeAll(async () => {
  good = await pagesPdf(REPORT, { title: 'Ostrand water report' });
  ws = await seedsWorkspace(inject('seedsIndexDir'));
  server = await startServer({
    INDEX_DIR: ws.indexDir,
    CORPUS_DIR: ws.corpusDir,
    FOOTNOTE_ADMIN_TOKEN: ADMIN,
    FOOTNOTE_API_TOKEN: API,
    MAX_PDF_PAGES: '5',
    RATE_LIMIT_PER_MINUTE: '0',
  });
});
afterAll(async () => {
  await server?.stop();
});

const read = { authorization: `Bearer ${API}` };
const upload = (name: string, content: Uint8Array) => {
  const form = new FormData();
  form.set('file', new Blob([new Uint8Array(content)]), name);
  return fetch(`${server.url}/documents`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` }, body: form });
};
const ask = async (question: string) =>
  (await (await fetch(`${server.url}/ask?q=${encodeURIComponent(question)}`, { headers: read })).json()) as {
    abstained: boolean;
    citations: Array<{ docId: string; quote: string; text: string; start: number; end: number; page?: number; pageEnd?: number }>;
  };
const ids = async () =>
  ((await (await fetch(`${server.url}/documents`, { headers: read })).json()) as { documents: { id: string }[] }).documents
    .map((d) => d.id)
    .sort();

describe('documents API: PDF and Word uploads', () => {
  it('indexes an uploaded PDF: answers cite its pages, /documents/:id has the page starts, the file is served', async () => {
    const res = await upload('ostrand-water.pdf', good);
    expect(res.status).toBe(201);
    const added = (await res.json()) as { id: string; title: string; source: string };
    expect(added).toMatchObject({ id: 'ostrand-water', title: 'Ostrand water report' });
    expect(added.source).toMatch(/ostrand-water\.pdf$/);

    const r = await ask('What will the new water tariff in Ostrand be?');
    expect(r.abstained).toBe(false);
    const c = r.citations[0];
    expect(c?.docId).toBe('ostrand-water');
    expect(c?.quote).toContain('2.15 euros per cubic metre');
    expect(c?.page).toBe(3);
    // The OpenAI-compatible endpoint's source list says the page too.
    const chat = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...read, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'footnote', messages: [{ role: 'user', content: 'What will the new water tariff in Ostrand be?' }] }),
    });
    const content = ((await chat.json()) as { choices: { message: { content: string } }[] }).choices[0]?.message.content;
    expect(content).toMatch(/\[1\] Ostrand water report — seeds\/ostrand-water\.pdf, p\. 3/);

    const doc = (await (await fetch(`${server.url}/documents/ostrand-water`, { headers: read })).json()) as {
      text: string;
      pages: number[];
      file: string;
    };
    expect(doc.text.slice(c?.start, c?.end)).toBe(c?.text);
    expect(doc.pages).toHaveLength(3);
    expect(doc.pages[0]).toBe(0);
    expect(doc.text.indexOf('2.15 euros')).toBeGreaterThan(doc.pages[2] as number);

    const file = await fetch(`${server.url}${doc.file}`, { headers: read });
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('application/pdf');
    expect(Buffer.from(await file.arrayBuffer()).equals(good)).toBe(true);
    // Like the rest of /documents, the file needs the API token.
    expect((await fetch(`${server.url}${doc.file}`)).status).toBe(401);
    // A text document has no file to serve.
    const seed = (await ids()).find((id) => id.startsWith('000_')) as string;
    expect((await fetch(`${server.url}/documents/${seed}/file`, { headers: read })).status).toBe(404);
  });

  it('indexes an uploaded Word file', async () => {
    const res = await upload(
      'budget.docx',
      await docxFile('Ostrand budget', ['The Ostrand budget for libraries rises to 3.8 million euros next year.']),
    );
    expect(res.status).toBe(201);
    const r = await ask('How much is the Ostrand budget for libraries?');
    expect(r.citations[0]?.docId).toBe('budget');
    expect(r.citations[0]?.quote).toContain('3.8 million euros');
    expect(r.citations[0]?.page).toBeUndefined();
  });

  it('refuses PDFs it cannot index with a JSON error, leaving the corpus as it was', async () => {
    const before = await ids();
    const filesBefore = (await readdir(ws.corpusDir)).sort();
    const cases: [string, Uint8Array, number, RegExp][] = [
      ['locked.pdf', await pagesPdf(REPORT, { userPassword: 'secret' }), 400, /encrypted PDF/],
      ['broken.pdf', corruptPdf(good), 400, /not a readable PDF/],
      ['scan.pdf', await imageOnlyPdf(), 415, /no text layer: OCR is not supported/],
      ['long.pdf', await pagesPdf(Array.from({ length: 7 }, (_, i) => [`Page ${i + 1} of a long report.`])), 413, /7 pages, over the 5-page limit/],
      ['broken.docx', Buffer.from('PK\u0003\u0004 not a zip'), 400, /not a readable Word/],
      ['slides.pptx', Buffer.from('PK'), 415, /upload a \.txt, \.md, \.html, \.pdf or \.docx file/],
    ];
    for (const [name, bytes, status, message] of cases) {
      const res = await upload(name, bytes);
      expect({ name, status: res.status }).toEqual({ name, status });
      expect(res.headers.get('content-type')).toMatch(/application\/json/);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.message).toMatch(message);
    }
    expect(await ids()).toEqual(before);
    expect((await readdir(ws.corpusDir)).sort()).toEqual(filesBefore);
  });
});

describe('npm run ingest with PDF and Word files', () => {
  it('indexes the readable ones and skips each other one with its reason', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'footnote-pdf-cli-'));
    const dir = path.join(root, 'docs');
    await mkdir(dir);
    await writeFile(path.join(dir, 'report.pdf'), good);
    await writeFile(path.join(dir, 'locked.pdf'), await pagesPdf(REPORT, { userPassword: 'secret' }));
    await writeFile(path.join(dir, 'broken.pdf'), corruptPdf(good));
    await writeFile(path.join(dir, 'scan.pdf'), await imageOnlyPdf());
    await writeFile(path.join(dir, 'notes.docx'), await docxFile('Notes', ['Meeting notes on the reservoir.']));
    const pages = (n: number) => Array.from({ length: n }, (_, i) => [`Page ${i + 1} of the long annual report.`]);
    await writeFile(path.join(dir, 'annual.pdf'), await pagesPdf(pages(120)));
    await writeFile(path.join(dir, 'archive.pdf'), await pagesPdf(pages(160)));
    const r = await run(['ingest/main.ts', '--dir', dir, '--index-dir', path.join(root, 'index')], {
      MAX_PDF_PAGES: '150',
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/indexed 3 document\(s\)/);
    // A long PDF shows its progress; one over MAX_PDF_PAGES is skipped unread.
    expect(r.stderr).toMatch(/reading docs\/annual\.pdf: page 100\/120\n.*reading docs\/annual\.pdf: page 120\/120/s);
    expect(r.stdout).toMatch(/skipped docs\/archive\.pdf: 160 pages, over the 150-page limit \(raise MAX_PDF_PAGES/);
    expect(r.stdout).toMatch(/skipped docs\/locked\.pdf: encrypted PDF/);
    expect(r.stdout).toMatch(/skipped docs\/broken\.pdf: not a readable PDF/);
    expect(r.stdout).toMatch(/skipped docs\/scan\.pdf: no text layer: OCR is not supported/);
  });
});
