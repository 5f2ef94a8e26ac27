import { deflateSync } from 'node:zlib';
import { Document, Packer, Paragraph, TextRun } from 'docx';
import PDFDocument from 'pdfkit';

/** PDFs and Word files made from text by the tests themselves (pdfkit, docx, and a hand-written PDF). */

type Pdf = InstanceType<typeof PDFDocument>;

function render(
  draw: (doc: Pdf) => void,
  options: ConstructorParameters<typeof PDFDocument>[0] = {},
): Promise<Buffer> {
  const doc = new PDFDocument({ size: 'A4', margin: 56, ...options });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve) => doc.on('end', () => resolve(Buffer.concat(chunks))));
  doc.font('Helvetica').fontSize(11);
  draw(doc);
  doc.end();
  return done;
}

/**
 * One page per entry, each a list of paragraphs laid out in one column (wrapped by pdfkit, a gap between
 * paragraphs). A paragraph that does not fit flows onto a new page, as in any document.
 */
export function pagesPdf(pages: string[][], options: { title?: string; userPassword?: string } = {}) {
  return render(
    (doc) => {
      pages.forEach((paragraphs, i) => {
        if (i > 0) doc.addPage();
        for (const p of paragraphs) doc.text(p, { paragraphGap: 8, lineGap: 1 });
      });
    },
    {
      ...(options.title ? { info: { Title: options.title } } : {}),
      ...(options.userPassword ? { userPassword: options.userPassword, pdfVersion: '1.7' as const } : {}),
    },
  );
}

/**
 * A document's text (a paragraph per line) as a PDF of small pages (A6): lines broken at spaces only (so
 * no word is split), a paragraph that does not fit the rest of a page moved whole to the next one.
 * Returns the page each paragraph is printed on.
 */
export async function textPdf(text: string): Promise<{ pdf: Buffer; pageOf: Map<string, number> }> {
  const paragraphs = text
    .split(/\n/)
    .map((p) => p.trim())
    .filter(Boolean);
  const pageOf = new Map<string, number>();
  const margin = 28;
  const lineHeight = 11;
  const pdf = await render(
    (doc) => {
      doc.fontSize(9);
      const width = doc.page.width - 2 * margin;
      let page = 1;
      let y = margin;
      for (const p of paragraphs) {
        const lines: string[] = [];
        for (const word of p.split(/ +/)) {
          const last = lines[lines.length - 1];
          if (last !== undefined && doc.widthOfString(`${last} ${word}`) <= width) lines[lines.length - 1] = `${last} ${word}`;
          else lines.push(word);
        }
        if (y + lines.length * lineHeight > doc.page.height - margin && y > margin) {
          doc.addPage();
          page++;
          y = margin;
        }
        pageOf.set(p, page);
        for (const line of lines) {
          doc.text(line, margin, y, { lineBreak: false });
          y += lineHeight;
        }
        y += 7;
      }
    },
    { size: 'A6', margin },
  );
  return { pdf, pageOf };
}

/**
 * A page with a heading across the top and two columns below it, drawn line by line across both columns
 * (left line 1, right line 1, left line 2...), so content order is not reading order.
 */
export function twoColumnPdf(heading: string, left: string[], right: string[]): Promise<Buffer> {
  return render((doc) => {
    doc.fontSize(16).text(heading, 56, 56);
    doc.fontSize(11);
    const top = 100;
    const lineHeight = 14;
    for (let i = 0; i < Math.max(left.length, right.length); i++) {
      const y = top + i * lineHeight;
      if (left[i]) doc.text(left[i] as string, 56, y, { lineBreak: false });
      if (right[i]) doc.text(right[i] as string, 310, y, { lineBreak: false });
    }
  });
}

/** Lines placed exactly as given (no wrapping), one paragraph: for a hyphenated line end. */
export function linesPdf(lines: string[]): Promise<Buffer> {
  return render((doc) => {
    lines.forEach((line, i) => {
      doc.text(line, 56, 56 + i * 14, { lineBreak: false });
    });
  });
}

/** A page that is only a picture (a "scan"): no text layer. */
export function imageOnlyPdf(): Promise<Buffer> {
  return render((doc) => {
    doc.image(grayPng(64, 64), 56, 56, { width: 300 });
  });
}

/** A minimal grayscale PNG with a gradient. */
function grayPng(w: number, h: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf: Buffer) => {
    let c = 0xffffffff;
    for (const b of buf) c = (crcTable[(c ^ b) & 0xff] as number) ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8;
  ihdr[9] = 0;
  const raw = Buffer.alloc((w + 1) * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) raw[y * (w + 1) + 1 + x] = (x * 4 + y) & 0xff;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/**
 * A hand-written one-page PDF whose text uses the ﬁ and ﬂ ligature glyphs (Helvetica with a Differences
 * encoding: code 1 is /fi, code 2 is /fl), as typeset documents do. `text` marks them with ﬁ and ﬂ.
 */
export function ligaturePdf(lines: string[]): Buffer {
  const esc = (s: string) =>
    s.replace(/[\\()]/g, (c) => `\\${c}`).replace(/\uFB01/g, '\\001').replace(/\uFB02/g, '\\002');
  const ops = lines.map((l, i) => `BT /F1 12 Tf 56 ${780 - i * 15} Td (${esc(l)}) Tj ET`).join('\n');
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>',
    `<< /Length ${Buffer.byteLength(ops, 'latin1')} >>\nstream\n${ops}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding << /Type /Encoding /BaseEncoding /WinAnsiEncoding /Differences [1 /fi /fl] >> >>',
  ];
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(Buffer.byteLength(out, 'latin1'));
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out, 'latin1');
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const off of offsets) out += `${String(off).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

/** Bytes that start like a PDF and then are not one. */
export function corruptPdf(valid: Buffer): Buffer {
  const cut = valid.subarray(0, Math.floor(valid.length / 3));
  return Buffer.concat([cut.subarray(0, 9), Buffer.from('garbage '.repeat(50)), cut.subarray(400)]).subarray(0, 600);
}

/** A Word file with a heading and paragraphs. */
export function docxFile(heading: string, paragraphs: string[]): Promise<Buffer> {
  const doc = new Document({
    sections: [
      {
        children: [
          new Paragraph({ children: [new TextRun({ text: heading, bold: true })] }),
          ...paragraphs.map((p) => new Paragraph({ children: [new TextRun(p)] })),
        ],
      },
    ],
  });
  return Packer.toBuffer(doc);
}
