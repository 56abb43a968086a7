/**
 * Fetching a source from an http(s) URL, defensively: only http and https; the host's addresses
 * are resolved first and private, loopback, link-local and other internal ranges are refused
 * (unless the host is on the allow-list), and the connection goes to the address that was
 * checked, so DNS cannot answer differently the second time. Redirects are followed by hand, at
 * most `maxRedirects`, each hop checked the same way. A timeout, a size cap and a content-type
 * check bound what one URL can cost.
 */
import { lookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP } from 'node:net';

export interface FetchPolicy {
  timeoutMs: number;
  maxBytes: number;
  maxRedirects: number;
  /** Hosts (names or literal addresses) allowed even though they resolve to internal addresses. */
  allowHosts: readonly string[];
  /** Content types accepted (default: HTML, plain text, Markdown). */
  acceptTypes?: readonly string[];
}

export interface FetchedPage {
  finalUrl: string;
  contentType: string;
  body: Buffer;
}

export class FetchRefused extends Error {}

export const ACCEPTED_TYPES = [
  'text/html',
  'application/xhtml+xml',
  'text/plain',
  'text/markdown',
  'text/x-markdown',
];

const internal = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  internal.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  internal.addSubnet(network, prefix, 'ipv6');
}

export function isInternalAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return internal.check(mapped, 'ipv4');
  return internal.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

async function vettedAddress(url: URL, policy: FetchPolicy): Promise<{ address: string; family: number }> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new FetchRefused(`scheme ${url.protocol} is not allowed (http and https only)`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const allowed = policy.allowHosts.includes(host) || policy.allowHosts.includes(url.host);
  const addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await lookup(host, { all: true });
  if (addresses.length === 0) throw new FetchRefused(`${host} does not resolve`);
  if (!allowed) {
    const blocked = addresses.find((a) => isInternalAddress(a.address));
    if (blocked)
      throw new FetchRefused(
        `${host} resolves to an internal address (${blocked.address}); add it to allowHosts to permit it`,
      );
  }
  const first = addresses[0];
  if (!first) throw new FetchRefused(`${host} does not resolve`);
  return first;
}

function getOnce(
  url: URL,
  target: { address: string; family: number },
  policy: FetchPolicy,
  deadline: number,
): Promise<IncomingMessage> {
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'GET',
      headers: { 'user-agent': 'Quarry (source fetcher)', accept: ACCEPTED_TYPES.join(', ') },
      // Connect to the address that was checked, not to whatever DNS says now.
      lookup: (_host, options, callback) => {
        if ((options as { all?: boolean }).all)
          callback(null, [{ address: target.address, family: target.family }] as never);
        else callback(null, target.address, target.family);
      },
      timeout: Math.max(1, deadline - Date.now()),
    });
    req.on('timeout', () => req.destroy(new FetchRefused(`no answer within ${policy.timeoutMs} ms`)));
    req.on('error', reject);
    req.on('response', resolve);
    req.end();
  });
}

async function readCapped(response: IncomingMessage, policy: FetchPolicy, deadline: number): Promise<Buffer> {
  const declared = Number(response.headers['content-length'] ?? 0);
  if (declared > policy.maxBytes) {
    response.destroy();
    throw new FetchRefused(`too large (${declared} bytes; the limit is ${policy.maxBytes})`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  const timer = setTimeout(
    () => response.destroy(new FetchRefused(`no complete answer within ${policy.timeoutMs} ms`)),
    Math.max(1, deadline - Date.now()),
  );
  try {
    for await (const chunk of response) {
      total += (chunk as Buffer).length;
      if (total > policy.maxBytes) {
        response.destroy();
        throw new FetchRefused(`too large (over ${policy.maxBytes} bytes)`);
      }
      chunks.push(chunk as Buffer);
    }
  } finally {
    clearTimeout(timer);
  }
  return Buffer.concat(chunks);
}

export async function fetchSource(rawUrl: string, policy: FetchPolicy): Promise<FetchedPage> {
  const deadline = Date.now() + policy.timeoutMs;
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new FetchRefused('not a valid URL');
  }
  for (let hop = 0; ; hop++) {
    const target = await vettedAddress(url, policy);
    const response = await getOnce(url, target, policy, deadline);
    const status = response.statusCode ?? 0;
    if (status >= 300 && status < 400 && response.headers.location) {
      response.resume();
      if (hop >= policy.maxRedirects) throw new FetchRefused(`more than ${policy.maxRedirects} redirects`);
      url = new URL(response.headers.location, url);
      continue;
    }
    if (status !== 200) {
      response.resume();
      throw new FetchRefused(`HTTP ${status}`);
    }
    const contentType =
      String(response.headers['content-type'] ?? '')
        .split(';')[0]
        ?.trim()
        .toLowerCase() ?? '';
    if (!(policy.acceptTypes ?? ACCEPTED_TYPES).includes(contentType)) {
      response.resume();
      throw new FetchRefused(`content type "${contentType || 'none'}" is not text or HTML`);
    }
    return { finalUrl: url.href, contentType, body: await readCapped(response, policy, deadline) };
  }
}
