/**
 * Reads the source folder: .txt, .md and .html files become cleaned sources with a title.
 * One bad file never stops the others: binary, unreadable, oversized, empty or duplicate files
 * are skipped with a warning that says which file and why.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';
import iconv from 'iconv-lite';
import { errorMessage, UserFacingError } from '../errors.ts';
import { sha256 } from '../hash.ts';
import { cleanText, type Paragraph } from '../text/clean.ts';
import { htmlToText } from '../text/html.ts';
import { type FetchPolicy, fetchSource } from './fetch-url.ts';

export interface Source {
  /** Path relative to the sources folder, with forward slashes: stable across machines. */
  id: string;
  title: string;
  url?: string;
  /** Cleaned text; every passage offset points into it. */
  text: string;
  paragraphs: Paragraph[];
  /** sha256 of the cleaned text and title: the "did this source change?" key. */
  contentHash: string;
}

export interface SkippedSource {
  id: string;
  reason: string;
}

export interface LoadedSources {
  sources: Source[];
  skipped: SkippedSource[];
  /** Files loaded with a caveat (e.g. decoded as Windows-1252). */
  warnings: string[];
}

const TEXT_EXTENSIONS = new Set(['.txt', '.text', '.md', '.markdown']);
const HTML_EXTENSIONS = new Set(['.html', '.htm']);

interface Listing {
  files: string[];
  /** Folders that could not be read and links that were not followed, with why. */
  skipped: SkippedSource[];
}

const relativeId = (dir: string, path: string) => relative(dir, path).split(sep).join('/');

/**
 * Walks the folder one level at a time, so one unreadable sub-folder is skipped with a reason
 * instead of aborting the whole listing (readdir's `recursive` gives up on the first EACCES).
 * Symbolic links are not followed (a link can point outside SOURCES_DIR or into a loop); each is
 * named in the skipped list so nobody wonders where a source went.
 */
async function listFiles(dir: string): Promise<Listing> {
  const listing: Listing = { files: [], skipped: [] };
  const walk = async (folder: string, top: boolean): Promise<void> => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(folder, { withFileTypes: true });
    } catch (error) {
      if (top) throw error;
      listing.skipped.push({
        id: `${relativeId(dir, folder)}/`,
        reason: `folder unreadable (${errorMessage(error)})`,
      });
      return;
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const path = join(folder, entry.name);
      if (entry.isSymbolicLink()) {
        listing.skipped.push({
          id: relativeId(dir, path),
          reason: 'symbolic link, not followed (copy the file in instead)',
        });
      } else if (entry.isDirectory()) {
        await walk(path, false);
      } else if (entry.isFile()) {
        listing.files.push(path);
      }
    }
  };
  await walk(dir, true);
  listing.files.sort();
  return listing;
}

/** Binary files have NUL bytes or many control characters near the start. */
export function looksBinary(bytes: Uint8Array): boolean {
  const sample = bytes.subarray(0, 8192);
  let control = 0;
  for (const b of sample) {
    if (b === 0) return true;
    if (b < 9 || (b > 13 && b < 32)) control++;
  }
  return sample.length > 0 && control / sample.length > 0.1;
}

export type TextEncoding = 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252';

/** The encoding a byte-order mark announces, and the mark's length. */
function byteOrderMark(bytes: Uint8Array): { encoding: TextEncoding; length: number } | null {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return { encoding: 'utf-8', length: 3 };
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { encoding: 'utf-16le', length: 2 };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { encoding: 'utf-16be', length: 2 };
  return null;
}

/**
 * Text from bytes: a byte-order mark decides (UTF-8, UTF-16 LE or BE); otherwise strict UTF-8;
 * otherwise Windows-1252, the most common legacy Western encoding, which decodes every byte.
 * iconv-lite does the legacy codecs: Node 20's TextDecoder('windows-1252') maps 0x80–0x9F to C1
 * control characters instead of “ ” – € and friends.
 */
export function decodeText(bytes: Uint8Array): { text: string; encoding: TextEncoding } {
  const bom = byteOrderMark(bytes);
  if (bom) {
    const body = Buffer.from(bytes.buffer, bytes.byteOffset + bom.length, bytes.byteLength - bom.length);
    return { text: iconv.decode(body, bom.encoding, { stripBOM: false }), encoding: bom.encoding };
  }
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'utf-8' };
  } catch {
    return {
      text: iconv.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), 'windows-1252'),
      encoding: 'windows-1252',
    };
  }
}

/** Decoded text, or null for a binary file. UTF-16 is full of NUL bytes, so its mark is checked first. */
export function decodeSource(bytes: Uint8Array): { text: string; encoding: TextEncoding } | null {
  if (!byteOrderMark(bytes) && looksBinary(bytes)) return null;
  return decodeText(bytes);
}

function fileTitle(id: string): string {
  const base = id.split('/').at(-1) ?? id;
  return (
    base
      .replace(/\.[^.]+$/, '')
      .replace(/[_-]+/g, ' ')
      .trim() || base
  );
}

export function sourceFromText(
  id: string,
  raw: string,
  kind: 'text' | 'html',
  url?: string,
): Source | SkippedSource {
  const html = kind === 'html' ? htmlToText(raw) : null;
  const cleaned = cleanText(html ? html.text : raw, { titleFromFirstLine: kind === 'text' });
  if (!cleaned.paragraphs.some((p) => !p.heading))
    return { id, reason: 'no text left after removing boilerplate' };
  const title = html?.title ?? cleaned.title ?? fileTitle(id);
  return {
    id,
    title,
    ...(url ? { url } : {}),
    text: cleaned.text,
    paragraphs: cleaned.paragraphs,
    contentHash: sha256(`${title}\n${cleaned.text}`),
  };
}

async function loadFile(
  dir: string,
  path: string,
  maxBytes: number,
  warnings: string[],
): Promise<Source | SkippedSource> {
  const id = relativeId(dir, path);
  const extension = extname(path).toLowerCase();
  const kind = HTML_EXTENSIONS.has(extension) ? 'html' : TEXT_EXTENSIONS.has(extension) ? 'text' : null;
  if (!kind) return { id, reason: `unsupported file type "${extension || 'none'}" (use .txt, .md or .html)` };
  try {
    const size = (await stat(path)).size;
    if (size > maxBytes) {
      return {
        id,
        reason: `too large (${(size / 1048576).toFixed(1)} MB; the limit is MAX_SOURCE_MB=${maxBytes / 1048576})`,
      };
    }
    const decoded = decodeSource(await readFile(path));
    if (!decoded) return { id, reason: 'looks like a binary file, not text' };
    if (decoded.encoding === 'windows-1252') warnings.push(`${id}: not valid UTF-8, read as Windows-1252`);
    return sourceFromText(id, decoded.text, kind);
  } catch (error) {
    return { id, reason: `unreadable (${errorMessage(error)})` };
  }
}

function isSource(value: Source | SkippedSource): value is Source {
  return 'text' in value;
}

export interface UrlSources {
  /** JSON file: {"urls": ["https://…"], "allowHosts": ["127.0.0.1"]}. Missing file: no URL sources. */
  file: string;
  timeoutMs: number;
}

interface UrlList {
  urls: string[];
  allowHosts: string[];
}

async function readUrlList(file: string, warnings: string[]): Promise<UrlList> {
  let raw: string;
  try {
    raw = await readFile(file, 'utf8');
  } catch {
    return { urls: [], allowHosts: [] };
  }
  try {
    const parsed = JSON.parse(raw) as Partial<UrlList>;
    const strings = (v: unknown) =>
      Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
    return { urls: strings(parsed.urls), allowHosts: strings(parsed.allowHosts) };
  } catch {
    warnings.push(`${file} is not valid JSON ({"urls": [...], "allowHosts": [...]}); no URL sources loaded`);
    return { urls: [], allowHosts: [] };
  }
}

async function loadUrl(url: string, policy: FetchPolicy): Promise<Source | SkippedSource> {
  try {
    const page = await fetchSource(url, policy);
    const decoded = decodeSource(page.body);
    if (!decoded) return { id: url, reason: 'the page looks binary, not text' };
    const kind = page.contentType.includes('html') ? 'html' : 'text';
    return sourceFromText(url, decoded.text, kind, page.finalUrl);
  } catch (error) {
    return { id: url, reason: `could not fetch it: ${errorMessage(error)}` };
  }
}

/** Loads every supported file under `dir` and every listed URL; `only` restricts loading to one source id. */
export async function loadSources(
  dir: string,
  options: { maxBytes: number; only?: string; urls?: UrlSources },
): Promise<LoadedSources> {
  let listing: Listing;
  try {
    listing = await listFiles(dir);
  } catch (error) {
    throw new UserFacingError(
      'sources',
      `cannot read the sources folder ${dir} (${errorMessage(error)})`,
      'check SOURCES_DIR',
    );
  }
  const result: LoadedSources = {
    sources: [],
    skipped: listing.skipped.filter((s) => !options.only || s.id === options.only),
    warnings: [],
  };
  // Duplicates are keyed on the cleaned text alone: a title-less file's title comes from its
  // name, so keying on title and text let two byte-identical files through.
  const byText = new Map<string, string>();
  const twinOf = (source: Source) => byText.get(sha256(source.text));
  const remember = (source: Source) => byText.set(sha256(source.text), source.id);
  for (const path of listing.files) {
    const id = relativeId(dir, path);
    if (options.only && id !== options.only) continue;
    const loaded = await loadFile(dir, path, options.maxBytes, result.warnings);
    if (!isSource(loaded)) {
      result.skipped.push(loaded);
      continue;
    }
    const twin = twinOf(loaded);
    if (twin) {
      result.skipped.push({ id, reason: `same text as ${twin}` });
      continue;
    }
    remember(loaded);
    result.sources.push(loaded);
  }
  if (options.urls) {
    const list = await readUrlList(options.urls.file, result.warnings);
    const policy: FetchPolicy = {
      timeoutMs: options.urls.timeoutMs,
      maxBytes: options.maxBytes,
      maxRedirects: 5,
      allowHosts: list.allowHosts,
    };
    const wanted = list.urls.filter((url) => !options.only || url === options.only);
    // Fetched concurrently: one slow site must not hold up the others for its whole timeout.
    for (const loaded of await Promise.all(wanted.map((url) => loadUrl(url, policy)))) {
      const twin = isSource(loaded) ? twinOf(loaded) : undefined;
      if (!isSource(loaded)) result.skipped.push(loaded);
      else if (twin) result.skipped.push({ id: loaded.id, reason: `same text as ${twin}` });
      else {
        remember(loaded);
        result.sources.push(loaded);
      }
    }
  }
  return result;
}
