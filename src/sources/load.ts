/**
 * Reads the source folder: .txt, .md and .html files become cleaned sources with a title.
 * One bad file never stops the others: binary, unreadable, oversized, empty or duplicate files
 * are skipped with a warning that says which file and why.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';
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

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && !e.name.startsWith('.'))
    .map((e) => join(e.parentPath, e.name))
    .filter(
      (path) =>
        !relative(dir, path)
          .split(sep)
          .some((part) => part.startsWith('.')),
    )
    .sort();
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

export function decodeText(bytes: Uint8Array): { text: string; encoding: 'utf-8' | 'windows-1252' } {
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'utf-8' };
  } catch {
    // Not UTF-8: legacy Western text is by far the most common case, and 1252 decodes every byte.
    return { text: new TextDecoder('windows-1252').decode(bytes), encoding: 'windows-1252' };
  }
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
  const id = relative(dir, path).split(sep).join('/');
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
    const bytes = await readFile(path);
    if (looksBinary(bytes)) return { id, reason: 'looks like a binary file, not text' };
    const { text, encoding } = decodeText(bytes);
    if (encoding !== 'utf-8') warnings.push(`${id}: not valid UTF-8, read as Windows-1252`);
    return sourceFromText(id, text, kind);
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
    if (looksBinary(page.body)) return { id: url, reason: 'the page looks binary, not text' };
    const kind = page.contentType.includes('html') ? 'html' : 'text';
    return sourceFromText(url, decodeText(page.body).text, kind, page.finalUrl);
  } catch (error) {
    return { id: url, reason: `could not fetch it: ${errorMessage(error)}` };
  }
}

/** Loads every supported file under `dir` and every listed URL; `only` restricts loading to one source id. */
export async function loadSources(
  dir: string,
  options: { maxBytes: number; only?: string; urls?: UrlSources },
): Promise<LoadedSources> {
  let files: string[];
  try {
    files = await listFiles(dir);
  } catch (error) {
    throw new UserFacingError(
      'sources',
      `cannot read the sources folder ${dir} (${errorMessage(error)})`,
      'check SOURCES_DIR',
    );
  }
  const result: LoadedSources = { sources: [], skipped: [], warnings: [] };
  const byHash = new Map<string, string>();
  for (const path of files) {
    const id = relative(dir, path).split(sep).join('/');
    if (options.only && id !== options.only) continue;
    const loaded = await loadFile(dir, path, options.maxBytes, result.warnings);
    if (!isSource(loaded)) {
      result.skipped.push(loaded);
      continue;
    }
    const twin = byHash.get(loaded.contentHash);
    if (twin) {
      result.skipped.push({ id, reason: `same text as ${twin}` });
      continue;
    }
    byHash.set(loaded.contentHash, id);
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
      const twin = isSource(loaded) ? byHash.get(loaded.contentHash) : undefined;
      if (!isSource(loaded)) result.skipped.push(loaded);
      else if (twin) result.skipped.push({ id: loaded.id, reason: `same text as ${twin}` });
      else {
        byHash.set(loaded.contentHash, loaded.id);
        result.sources.push(loaded);
      }
    }
  }
  return result;
}
