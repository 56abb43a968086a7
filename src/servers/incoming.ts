/**
 * Where a new source comes from: a file attached in Discord (downloaded only from the attachment
 * hosts) or a web page (the SSRF-safe fetcher; the operator's allowHosts from URL_SOURCES_FILE
 * apply, nothing a moderator types can widen them). Both end as a PreparedSource, checked and
 * cleaned, before any knowledge base is touched.
 */
import { readFile } from 'node:fs/promises';
import { UserFacingError } from '../errors.ts';
import { DOWNLOAD_TYPES, downloadAttachment } from '../sources/attachment.ts';
import { FetchRefused, fetchSource } from '../sources/fetch-url.ts';
import { kindOfContentType, kindOfName, type PreparedSource, prepareSource } from './intake.ts';

export interface IncomingLimits {
  maxBytes: number;
  timeoutMs: number;
}

const SUPPORTED = 'use .txt, .md, .html or .pdf';

export async function fromAttachment(
  attachment: { name: string; url: string; size: number },
  limits: IncomingLimits & { hosts: readonly string[] },
): Promise<PreparedSource> {
  const kind = kindOfName(attachment.name);
  if (!kind)
    throw new UserFacingError('sources', `${attachment.name} is not a supported file type`, SUPPORTED);
  // Refused before downloading when Discord already tells us the size.
  if (attachment.size > limits.maxBytes) {
    throw new UserFacingError(
      'sources',
      `${attachment.name} is too large (${(attachment.size / 1048576).toFixed(1)} MB; the limit is ${(limits.maxBytes / 1048576).toFixed(0)} MB)`,
      'split it or attach a smaller file',
    );
  }
  const { bytes } = await downloadAttachment(attachment.url, limits);
  return prepareSource({ name: attachment.name, bytes, kind, maxBytes: limits.maxBytes });
}

async function operatorAllowHosts(urlSourcesFile: string): Promise<string[]> {
  try {
    const parsed = JSON.parse(await readFile(urlSourcesFile, 'utf8')) as { allowHosts?: unknown };
    return Array.isArray(parsed.allowHosts) ? parsed.allowHosts.filter((h) => typeof h === 'string') : [];
  } catch {
    return [];
  }
}

export async function fromUrl(
  url: string,
  limits: IncomingLimits & { urlSourcesFile: string },
): Promise<PreparedSource> {
  let page: Awaited<ReturnType<typeof fetchSource>>;
  try {
    page = await fetchSource(url, {
      timeoutMs: limits.timeoutMs,
      maxBytes: limits.maxBytes,
      maxRedirects: 5,
      allowHosts: await operatorAllowHosts(limits.urlSourcesFile),
      acceptTypes: DOWNLOAD_TYPES.filter((t) => t !== 'application/octet-stream'),
    });
  } catch (error) {
    if (error instanceof FetchRefused)
      throw new UserFacingError('sources', `could not fetch ${url}: ${error.message}`);
    throw new UserFacingError('sources', `could not fetch ${url}: ${(error as Error).message}`);
  }
  const kind = kindOfContentType(page.contentType);
  if (!kind)
    throw new UserFacingError('sources', `${url} is not a page or document Quarry can read`, SUPPORTED);
  return prepareSource({ name: url, bytes: page.body, kind, url: page.finalUrl, maxBytes: limits.maxBytes });
}
