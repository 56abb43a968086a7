/**
 * Turning an uploaded file or a fetched page into a source a knowledge base can store: type and
 * size checks, PDF pages to text, and the same cleaning the loader applies, so a refusal happens
 * before anything is written and the moderator sees what members will be quoted.
 *
 * Stored form: text and Markdown as they came, HTML as it came (the loader cleans it on every
 * reload), a PDF as Markdown with a `## Page N` heading before each page's text — headings are not
 * quoted, and they let a citation name the page.
 */
import { extname } from 'node:path';
import { UserFacingError } from '../errors.ts';
import { decodeText, looksBinary, sourceFromText } from '../sources/load.ts';
import { DEFAULT_PDF_LIMITS, type PdfLimits, pdfPages } from '../sources/pdf.ts';
import { cleanText } from '../text/clean.ts';
import { htmlToText } from '../text/html.ts';

export type SourceKind = 'text' | 'html' | 'pdf';

/** What a knowledge base remembers about a source beyond its file. */
export interface SourceMeta {
  kind: SourceKind;
  /** The file name or URL it was added from. */
  origin: string;
  url?: string;
  /** Page of each quotable paragraph (index = paragraph number − 1), for PDFs. */
  paragraphPages?: number[];
  addedBy?: string;
  addedAt?: string;
}

export interface PreparedSource {
  /** File name in the sources folder: the source id. */
  id: string;
  content: string;
  meta: SourceMeta;
  preview: SourcePreview;
}

export interface SourcePreview {
  title: string;
  /** Cleaned text, as passages are cut from it. */
  text: string;
  /** Lines the cleaning dropped (boilerplate), verbatim. */
  removedLines: string[];
  pages?: number;
}

const TEXT_EXTENSIONS = new Set(['.txt', '.md', '.markdown']);
const HTML_EXTENSIONS = new Set(['.html', '.htm']);
const PAGE_HEADING = /^## Page (\d+)$/;

export function kindOfName(name: string): SourceKind | null {
  const extension = extname(name).toLowerCase();
  if (extension === '.pdf') return 'pdf';
  if (HTML_EXTENSIONS.has(extension)) return 'html';
  if (TEXT_EXTENSIONS.has(extension)) return 'text';
  return null;
}

export function kindOfContentType(contentType: string): SourceKind | null {
  if (contentType === 'application/pdf') return 'pdf';
  if (contentType.includes('html')) return 'html';
  if (contentType.startsWith('text/')) return 'text';
  return null;
}

/** A safe file name: lower-case letters, digits, dots, dashes; never hidden, never a path. */
export function sourceFileName(raw: string, kind: SourceKind): string {
  const base = raw
    .normalize('NFKD')
    .toLowerCase()
    .replace(/\.[a-z0-9]{1,8}$/, '')
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/^[.-]+|[.-]+$/g, '')
    .slice(0, 60);
  const stem = base || 'source';
  if (kind === 'pdf') return `${stem}.pdf.md`;
  return `${stem}${kind === 'html' ? '.html' : extname(raw).toLowerCase() === '.md' ? '.md' : '.txt'}`;
}

/** What the loader will make of a stored file: title, cleaned text, removed lines. */
export function previewOf(id: string, content: string, kind: 'text' | 'html'): SourcePreview {
  const source = sourceFromText(id, content, kind);
  const raw = kind === 'html' ? htmlToText(content).text : content;
  const { removedLines } = cleanText(raw, { titleFromFirstLine: kind === 'text' });
  if (!('text' in source)) {
    throw new UserFacingError('sources', `${id} has nothing to quote: ${source.reason}`, 'check the file');
  }
  return { title: source.title, text: source.text, removedLines };
}

/** Page of each quotable paragraph of a stored PDF text (paragraph numbers as passages count them). */
export function paragraphPages(content: string): number[] {
  const { paragraphs, text } = cleanText(content, { titleFromFirstLine: true });
  const pages: number[] = [];
  let page = 0;
  for (const p of paragraphs) {
    const match = PAGE_HEADING.exec(text.slice(p.start, p.end));
    if (p.heading && match) page = Number(match[1]);
    else if (!p.heading) pages.push(page);
  }
  return pages;
}

function pdfAsMarkdown(title: string, pages: string[]): string {
  const parts = [`# ${title}`];
  pages.forEach((page, i) => {
    // A '#' at the start of a PDF line would turn it into a heading (never quoted): keep it text.
    const body = page.trim().replace(/^#/gm, '\\#');
    if (body) parts.push(`## Page ${i + 1}`, body);
  });
  return `${parts.join('\n\n')}\n`;
}

export interface IntakeInput {
  /** File name (attachment) or URL. */
  name: string;
  bytes: Uint8Array;
  kind: SourceKind;
  /** Set for a source fetched from the web: citations link to it. */
  url?: string;
  maxBytes: number;
  pdfLimits?: PdfLimits;
}

export async function prepareSource(input: IntakeInput): Promise<PreparedSource> {
  const { bytes, kind } = input;
  if (bytes.byteLength > input.maxBytes) {
    throw new UserFacingError(
      'sources',
      `the file is too large (${(bytes.byteLength / 1048576).toFixed(1)} MB; the limit is ${(input.maxBytes / 1048576).toFixed(0)} MB)`,
      'split it or attach a smaller file',
    );
  }
  if (bytes.byteLength === 0)
    throw new UserFacingError('sources', 'the file is empty', 'attach a file with text');
  const nameSource = input.url ? new URL(input.url).hostname + new URL(input.url).pathname : input.name;
  const id = sourceFileName(nameSource.replace(/\/+$/, ''), kind);
  const meta: SourceMeta = {
    kind,
    origin: input.url ?? input.name,
    ...(input.url ? { url: input.url } : {}),
  };

  if (kind === 'pdf') {
    const pages = await pdfPages(bytes, input.pdfLimits ?? DEFAULT_PDF_LIMITS);
    if (!pages.some((p) => /\p{L}/u.test(p))) {
      throw new UserFacingError(
        'sources',
        'the PDF has no text to quote (scanned pages are images, and Quarry does not read images)',
        'attach a PDF with selectable text',
      );
    }
    const title = (input.url ? nameSource : input.name).replace(/\.pdf$/i, '').slice(0, 150);
    const content = pdfAsMarkdown(title, pages);
    const preview = { ...previewOf(id, content, 'text'), pages: pages.length };
    return { id, content, meta: { ...meta, paragraphPages: paragraphPages(content) }, preview };
  }

  if (looksBinary(bytes)) {
    throw new UserFacingError(
      'sources',
      'the file looks binary, not text',
      'attach a .txt, .md, .html or .pdf file',
    );
  }
  const { text } = decodeText(bytes);
  // An uploaded page with scripts is refused rather than silently stripped: it is not an article
  // someone saved as text, and the moderator should know what members would be quoted. (Pages
  // fetched from a URL almost always carry scripts; there the HTML cleaner drops them.)
  if (kind === 'html' && !input.url && /<script\b/i.test(text)) {
    throw new UserFacingError(
      'sources',
      'the HTML file contains scripts',
      'save the article as plain text or Markdown, or add it by URL',
    );
  }
  return { id, content: text, meta, preview: previewOf(id, text, kind) };
}
