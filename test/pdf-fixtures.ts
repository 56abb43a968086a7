/** Test PDFs made on the fly with pdf-lib: text pages, an image-only PDF, a decompression bomb. */
import { deflateSync } from 'node:zlib';
import { PDFDocument, StandardFonts } from 'pdf-lib';

/** One page per entry; each page's lines are drawn top to bottom in Helvetica. */
export async function makePdf(pages: string[][]): Promise<Buffer> {
  const document = await PDFDocument.create();
  const font = await document.embedFont(StandardFonts.Helvetica);
  for (const lines of pages) {
    const page = document.addPage([595, 842]);
    lines.forEach((line, i) => {
      page.drawText(line, { x: 50, y: 780 - i * 16, size: 11, font });
    });
  }
  return Buffer.from(await document.save());
}

/** A valid PDF with pages but no text (what a scan without OCR looks like to a text extractor). */
export async function makeTextlessPdf(): Promise<Buffer> {
  const document = await PDFDocument.create();
  const page = document.addPage([595, 842]);
  page.drawRectangle({ x: 50, y: 50, width: 200, height: 100 });
  return Buffer.from(await document.save());
}

/** A small PDF whose one content stream inflates to `inflatedBytes` of zeros. */
export function makeBombPdf(inflatedBytes: number): Buffer {
  const packed = deflateSync(Buffer.alloc(inflatedBytes), { level: 9 });
  const header = Buffer.from(
    `%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>\nendobj\n4 0 obj\n<< /Length ${packed.length} /Filter /FlateDecode >>\nstream\n`,
    'latin1',
  );
  const footer = Buffer.from('\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n', 'latin1');
  return Buffer.concat([header, packed, footer]);
}
