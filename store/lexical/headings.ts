import type { DocumentRecord } from '../format.ts';
import { contentSegments } from '../../ingest/clean.ts';

const HEADING = /^ {0,3}(#{1,6})[ \t]+(.+?)[ \t#]*$/gm;
const headingMemo = new WeakMap<Pick<DocumentRecord, 'text'>, Array<{ start: number; level: number; text: string }>>();

/** The document's Markdown headings (outside code blocks), in order. */
function headingsOf(doc: Pick<DocumentRecord, 'text'>): Array<{ start: number; level: number; text: string }> {
  let hs = headingMemo.get(doc);
  if (!hs) {
    const found = [...doc.text.matchAll(HEADING)];
    // Plain text has no headings: its segments are not worth reading.
    const code = found.length ? contentSegments(doc.text).filter((s) => s.code) : [];
    hs = found
      .filter((m) => !code.some((c) => c.start <= m.index && m.index < c.end))
      .map((m) => ({ start: m.index, level: (m[1] as string).length, text: m[2] as string }));
    headingMemo.set(doc, hs);
  }
  return hs;
}

/**
 * The headings a passage or unit sits under (not its own line), outermost first: its section and the sections that
 * section is part of ("autocannon API autocannon.track(instance[, opts])" over "`outputStream`: … default:
 * `process.stderr`" answers "where does autocannon.track write its progress by default").
 */
export function headingAt(doc: Pick<DocumentRecord, 'text'>, offset: number): string {
  const path: Array<{ level: number; text: string }> = [];
  for (const h of headingsOf(doc)) {
    if (h.start + 3 >= offset) break;
    while ((path.at(-1)?.level ?? 0) >= h.level) path.pop();
    path.push(h);
  }
  return path.map((h) => h.text).join(' ');
}
