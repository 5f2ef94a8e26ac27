import { describe, expect, it } from 'vitest';
import { decodeDocuments, maxTextLength } from './document-lines.ts';
import type { DocumentRecord } from './format.ts';

const records: DocumentRecord[] = [
  { docId: 'a', source: 'c/a.txt', title: 'He said "text":"no"', text: 'Quotes "inside", a \\ backslash\\', hash: 'h1' },
  { docId: 'b', source: 'c/b.pdf', title: 'B', text: 'Page one.\fPage two — naïve 😀 \\"', hash: 'h2', pages: [0, 10] },
  { docId: 'c', source: 'c/c.txt', title: '', text: '', hash: 'h3' },
  // Another key order (a record written by hand or by another version).
  { text: 'first "key"', docId: 'd', hash: 'h4', title: 'D', source: 'c/d.txt' } as DocumentRecord,
];
const bytes = Buffer.from(`${records.map((r) => JSON.stringify(r)).join('\n')}\n`);

describe('documents.jsonl read with texts left encoded', () => {
  it('gives every record as written, texts decoded when read, same line when serialised', () => {
    const docs = decodeDocuments(bytes);
    expect(docs.map((d) => d.text)).toEqual(records.map((r) => r.text));
    expect(docs.map((d) => [d.docId, d.source, d.title, d.hash, d.pages])).toEqual(
      records.map((r) => [r.docId, r.source, r.title, r.hash, r.pages]),
    );
    expect(JSON.stringify(docs[1])).toBe(JSON.stringify(records[1]));
    expect('pages' in (docs[0] as object)).toBe(false);
    for (const d of docs) expect(maxTextLength(d)).toBeGreaterThanOrEqual(d.text.length);
  });

  it('refuses a line that is not a document record, with its line number', () => {
    const bad = Buffer.concat([bytes, Buffer.from('{"docId":"e","text":"unterminated}\n')]);
    expect(() => decodeDocuments(bad)).toThrow(/line 5 is corrupt/);
    const noHash = Buffer.from('{"docId":"e","source":"s","title":"t","text":"x"}\n');
    expect(() => decodeDocuments(noHash)).toThrow(/line 1 is corrupt/);
  });
});
