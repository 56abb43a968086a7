/**
 * Downloading a file a member attached to a command. Only from the configured attachment hosts
 * (Discord's CDN by default): an attachment URL comes from Discord, but a stand-in or a bug must
 * not turn the bot into a fetcher of arbitrary addresses. No redirects, a size cap and a timeout,
 * through the same defensive fetcher as URL sources.
 */
import { UserFacingError } from '../errors.ts';
import { ACCEPTED_TYPES, FetchRefused, fetchSource } from './fetch-url.ts';

export const DOWNLOAD_TYPES = [...ACCEPTED_TYPES, 'application/pdf', 'application/octet-stream'];

export interface AttachmentPolicy {
  hosts: readonly string[];
  maxBytes: number;
  timeoutMs: number;
}

export function isAttachmentHost(rawUrl: string, hosts: readonly string[]): boolean {
  try {
    const url = new URL(rawUrl);
    return (
      (url.protocol === 'https:' || url.protocol === 'http:') &&
      (hosts.includes(url.host) || hosts.includes(url.hostname))
    );
  } catch {
    return false;
  }
}

export async function downloadAttachment(
  url: string,
  policy: AttachmentPolicy,
): Promise<{ bytes: Buffer; contentType: string }> {
  if (!isAttachmentHost(url, policy.hosts)) {
    throw new UserFacingError(
      'sources',
      'the attachment is not on an allowed attachment host',
      'attach the file to the command in Discord (ATTACHMENT_HOSTS lists the hosts)',
    );
  }
  try {
    const page = await fetchSource(url, {
      timeoutMs: policy.timeoutMs,
      maxBytes: policy.maxBytes,
      maxRedirects: 0,
      // The operator listed these hosts: a local stand-in CDN resolves to loopback.
      allowHosts: policy.hosts,
      acceptTypes: DOWNLOAD_TYPES,
    });
    return { bytes: page.body, contentType: page.contentType };
  } catch (error) {
    if (error instanceof FetchRefused)
      throw new UserFacingError('sources', `could not download the attachment: ${error.message}`);
    throw error;
  }
}
