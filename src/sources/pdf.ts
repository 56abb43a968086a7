/**
 * PDF → text, one string per page, through unpdf (a serverless build of Mozilla's pdf.js).
 *
 * pdf.js inflates every compressed stream it reads, in this process: a "zip bomb" PDF (a few KB
 * that inflate to gigabytes) would exhaust memory before any text comes out. So before pdf.js
 * sees the file, every `stream … endstream` body is inflated here with node's zlib under a hard
 * output cap; a file whose streams inflate beyond `maxInflatedBytes` in total is refused.
 */
import { inflateSync } from 'node:zlib';
import { extractText, getDocumentProxy } from 'unpdf';
import { UserFacingError } from '../errors.ts';

export interface PdfLimits {
  maxPages: number;
  /** Total of all decompressed streams. */
  maxInflatedBytes: number;
}

export const DEFAULT_PDF_LIMITS: PdfLimits = { maxPages: 500, maxInflatedBytes: 64 * 1024 * 1024 };

export function isPdf(bytes: Uint8Array): boolean {
  return Buffer.from(bytes.subarray(0, 1024)).includes('%PDF-');
}

/** Sum of what the file's Flate streams inflate to; throws as soon as it passes the cap. */
export function checkInflatedSize(bytes: Uint8Array, maxInflatedBytes: number): number {
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let total = 0;
  let from = 0;
  for (;;) {
    const keyword = data.indexOf('stream', from, 'latin1');
    if (keyword === -1) break;
    // `endstream` also contains "stream": skip it.
    if (keyword >= 3 && data.toString('latin1', keyword - 3, keyword) === 'end') {
      from = keyword + 6;
      continue;
    }
    let start = keyword + 6;
    if (data[start] === 0x0d) start++;
    if (data[start] === 0x0a) start++;
    const end = data.indexOf('endstream', start, 'latin1');
    if (end === -1) break;
    from = end + 9;
    try {
      total += inflateSync(data.subarray(start, end), {
        maxOutputLength: Math.max(1, maxInflatedBytes - total),
      }).length;
    } catch (error) {
      if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError)
        throw tooMuch(maxInflatedBytes);
      // Not a Flate stream (images, other filters) or truncated: pdf.js decides what to do with it.
    }
    if (total >= maxInflatedBytes) throw tooMuch(maxInflatedBytes);
  }
  return total;
}

function tooMuch(max: number): UserFacingError {
  return new UserFacingError(
    'sources',
    `the PDF's compressed content expands to more than ${Math.round(max / 1048576)} MB`,
    'this looks like a decompression bomb; upload a normal PDF',
  );
}

/** The text of each page, in order (an image-only page is an empty string). */
export async function pdfPages(bytes: Uint8Array, limits: PdfLimits = DEFAULT_PDF_LIMITS): Promise<string[]> {
  if (!isPdf(bytes)) throw new UserFacingError('sources', 'the file is not a PDF', 'attach a real .pdf file');
  checkInflatedSize(bytes, limits.maxInflatedBytes);
  let document: Awaited<ReturnType<typeof getDocumentProxy>>;
  try {
    // A copy: pdf.js transfers (detaches) the buffer it is given.
    document = await getDocumentProxy(new Uint8Array(bytes));
  } catch (error) {
    throw new UserFacingError(
      'sources',
      `the PDF cannot be read (${(error as Error).message})`,
      'check that it opens in a PDF viewer; password-protected PDFs are not supported',
    );
  }
  try {
    if (document.numPages > limits.maxPages) {
      throw new UserFacingError(
        'sources',
        `the PDF has ${document.numPages} pages; the limit is ${limits.maxPages}`,
        'split it into smaller files',
      );
    }
    const { text } = await extractText(document, { mergePages: false });
    return text.map((page) => page.replace(/\r\n?/g, '\n'));
  } finally {
    await document.loadingTask.destroy();
  }
}
