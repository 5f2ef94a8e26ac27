import type { DocumentRecord } from './format.ts';

/**
 * The 1-based page of a paginated document (a PDF) that `offset` falls on, or undefined for documents
 * without pages. `doc.pages[i]` is the start offset of page i+1.
 */
export function pageAt(doc: Pick<DocumentRecord, 'pages'>, offset: number): number | undefined {
  const pages = doc.pages;
  if (!pages || pages.length === 0) return undefined;
  let lo = 0;
  let hi = pages.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((pages[mid] as number) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

/** `{ page, pageEnd? }` for a quote at [start, end): pageEnd only when the quote crosses onto another page. */
export function pageRange(
  doc: Pick<DocumentRecord, 'pages'>,
  start: number,
  end: number,
): { page?: number; pageEnd?: number } {
  const page = pageAt(doc, start);
  if (page === undefined) return {};
  const last = pageAt(doc, Math.max(start, end - 1)) as number;
  return last > page ? { page, pageEnd: last } : { page };
}
