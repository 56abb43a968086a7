import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fetchSource, isInternalAddress } from '../src/sources/fetch-url.ts';
import { loadSources } from '../src/sources/load.ts';
import { articleSources, tempDir } from './helpers.ts';

const ARTICLE_HTML = `<html><head><title>Lighthouse Weekly</title></head><body>
<nav>Home | About</nav><article><h1>The Lighthouse</h1><p>The keeper lights the lamp at dusk every day.</p>
<p>Comments are closed.</p></article><footer>© Lighthouse Weekly</footer></body></html>`;

let server: Server;
let base = '';
const policy = (
  allowHosts: string[] = ['127.0.0.1'],
  extra: Partial<Parameters<typeof fetchSource>[1]> = {},
) => ({
  timeoutMs: 2000,
  maxBytes: 64 * 1024,
  maxRedirects: 5,
  allowHosts,
  ...extra,
});

before(async () => {
  server = createServer((req, res) => {
    const url = req.url ?? '/';
    const port = (server.address() as AddressInfo).port;
    if (url === '/article.html')
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(ARTICLE_HTML);
    else if (url === '/notes.txt')
      res.writeHead(200, { 'content-type': 'text/plain' }).end('Field Notes\n\nThe tide turns twice a day.');
    else if (url === '/redirect') res.writeHead(302, { location: '/article.html' }).end();
    else if (url.startsWith('/loop')) res.writeHead(302, { location: `/loop${url.length}` }).end();
    else if (url === '/to-localhost')
      res.writeHead(302, { location: `http://localhost:${port}/article.html` }).end();
    else if (url === '/big') res.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(200 * 1024));
    else if (url === '/big-chunked') {
      res.writeHead(200, { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' });
      for (let i = 0; i < 100; i++) res.write('y'.repeat(1024));
      res.end();
    } else if (url === '/image.png')
      res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.from([0x89, 0x50]));
    else if (url === '/slow') {
      /* never answers */
    } else if (url === '/missing') res.writeHead(404, { 'content-type': 'text/plain' }).end('no');
    else res.writeHead(500).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('isInternalAddress', () => {
  for (const address of [
    '127.0.0.1',
    '10.1.2.3',
    '172.20.0.1',
    '192.168.1.1',
    '169.254.169.254',
    '0.0.0.0',
    '100.64.0.1',
    '::1',
    'fe80::1',
    'fd00::1',
    '::ffff:127.0.0.1',
    'not-an-ip',
  ]) {
    it(`refuses ${address}`, () => assert.equal(isInternalAddress(address), true));
  }
  for (const address of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111']) {
    it(`allows ${address}`, () => assert.equal(isInternalAddress(address), false));
  }
});

describe('fetchSource', () => {
  it('fetches an allowed host, following a redirect', async () => {
    const page = await fetchSource(`${base}/redirect`, policy());
    assert.equal(page.finalUrl, `${base}/article.html`);
    assert.equal(page.contentType, 'text/html');
    assert.match(page.body.toString(), /The keeper lights the lamp/);
  });

  const refusals: [string, string, ReturnType<typeof policy>, RegExp][] = [
    [
      'a loopback host that is not allowed',
      '/article.html',
      policy([]),
      /resolves to an internal address \(127\.0\.0\.1\)/,
    ],
    [
      'a redirect to a host that is not allowed',
      '/to-localhost',
      policy(),
      /localhost resolves to an internal address/,
    ],
    ['a redirect loop', '/loop', policy(), /more than 5 redirects/],
    ['a body over the size cap (declared length)', '/big', policy(), /too large/],
    ['a body over the size cap (chunked)', '/big-chunked', policy(), /too large/],
    ['a non-text content type', '/image.png', policy(), /content type "image\/png" is not text or HTML/],
    [
      'a server that never answers',
      '/slow',
      policy(['127.0.0.1'], { timeoutMs: 300 }),
      /no answer within 300 ms/,
    ],
    ['an HTTP error', '/missing', policy(), /HTTP 404/],
  ];
  for (const [name, path, p, reason] of refusals) {
    it(`refuses ${name}`, async () => {
      await assert.rejects(fetchSource(`${base}${path}`, p), reason);
    });
  }

  for (const url of ['ftp://127.0.0.1/file.txt', 'file:///etc/passwd', 'gopher://127.0.0.1/']) {
    it(`refuses the scheme of ${url}`, async () => {
      await assert.rejects(fetchSource(url, policy()), /scheme .* is not allowed \(http and https only\)/);
    });
  }
});

describe('URL sources in loadSources', () => {
  it('loads listed URLs beside the files; a failing URL is reported and the rest are unaffected', async () => {
    const dir = articleSources();
    const list = join(tempDir(), 'url-sources.json');
    writeFileSync(
      list,
      JSON.stringify({
        urls: [`${base}/article.html`, `${base}/notes.txt`, `${base}/missing`, 'file:///etc/passwd'],
        allowHosts: ['127.0.0.1'],
      }),
    );
    const loaded = await loadSources(dir, { maxBytes: 1024 * 1024, urls: { file: list, timeoutMs: 2000 } });
    const byId = new Map(loaded.sources.map((s) => [s.id, s]));
    assert.ok(byId.has('000_80816b0a4ae9937f.txt'));
    const page = byId.get(`${base}/article.html`);
    assert.equal(page?.title, 'Lighthouse Weekly');
    assert.equal(page?.url, `${base}/article.html`);
    assert.ok(page?.text.includes('The keeper lights the lamp at dusk every day.'));
    assert.ok(!page?.text.includes('Comments are closed') && !page?.text.includes('Home | About'));
    assert.equal(byId.get(`${base}/notes.txt`)?.title, 'Field Notes');
    const reasons = Object.fromEntries(loaded.skipped.map((s) => [s.id, s.reason]));
    assert.match(reasons[`${base}/missing`] ?? '', /could not fetch it: HTTP 404/);
    assert.match(reasons['file:///etc/passwd'] ?? '', /scheme file: is not allowed/);
  });

  it('a malformed list is a warning, not a failure', async () => {
    const list = join(tempDir(), 'url-sources.json');
    writeFileSync(list, '{ not json');
    const loaded = await loadSources(articleSources(), {
      maxBytes: 1024 * 1024,
      urls: { file: list, timeoutMs: 2000 },
    });
    assert.equal(loaded.sources.length, 1);
    assert.match(loaded.warnings[0] ?? '', /is not valid JSON/);
  });
});
