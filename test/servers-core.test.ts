/**
 * The per-server core without Discord: intake checks (PDF pages, bombs, image-only PDFs, binary
 * and oversized files, file names), the registry (scoping, eviction, a failed add leaving the old
 * index serving), the audit log in the feedback database, and `--server` in the CLI.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AuditLog } from '../src/feedback/audit.ts';
import { FeedbackStore } from '../src/feedback/store.ts';
import { paragraphPages, prepareSource, sourceFileName } from '../src/servers/intake.ts';
import { KnowledgeBases } from '../src/servers/knowledge-bases.ts';
import { checkInflatedSize, pdfPages } from '../src/sources/pdf.ts';
import { countModelRuns, runTypeScript, tempDir, testConfig } from './helpers.ts';
import { makeBombPdf, makePdf, makeTextlessPdf } from './pdf-fixtures.ts';

const MB = 1024 * 1024;
const A = '200000000000000002';
const B = '200000000000000022';
const NOTE = 'Harbour Notes\n\nThe lighthouse keeper feeds seventeen puffins every morning.\n';

async function addText(bases: KnowledgeBases, guildId: string, name: string, text: string) {
  const prepared = await prepareSource({ name, bytes: Buffer.from(text), kind: 'text', maxBytes: MB });
  return bases.forServer(guildId).add(prepared, { addedBy: '1', maxSources: 5 });
}

describe('intake', () => {
  it('a PDF becomes one section per page, and each paragraph knows its page', async () => {
    const pdf = await makePdf([['First page words here.'], ['Second page has the bell fact.']]);
    const pages = await pdfPages(pdf);
    assert.equal(pages.length, 2);
    assert.match(pages[1] ?? '', /bell fact/);
    const prepared = await prepareSource({ name: 'Bells.pdf', bytes: pdf, kind: 'pdf', maxBytes: MB });
    assert.equal(prepared.id, 'bells.pdf.md');
    assert.deepEqual(prepared.meta.paragraphPages, [1, 2]);
    assert.deepEqual(paragraphPages('# T\n\n## Page 1\n\nA.\n\nB.\n\n## Page 3\n\nC.\n'), [1, 1, 3]);
  });

  it('refuses a decompression bomb before pdf.js sees it', async () => {
    const bomb = makeBombPdf(8 * MB);
    assert.ok(bomb.length < 64 * 1024, `the bomb itself is small (${bomb.length} bytes)`);
    assert.throws(() => checkInflatedSize(bomb, 4 * MB), /decompression bomb/);
    await assert.rejects(pdfPages(bomb, { maxPages: 10, maxInflatedBytes: 4 * MB }), /decompression bomb/);
    assert.equal(checkInflatedSize(await makePdf([['Fine.']]), 4 * MB) < 4 * MB, true);
  });

  it('refuses a PDF without text, a binary file, an oversized one, a fake PDF and a page limit breach', async () => {
    await assert.rejects(
      prepareSource({ name: 'scan.pdf', bytes: await makeTextlessPdf(), kind: 'pdf', maxBytes: MB }),
      /no text to quote/,
    );
    await assert.rejects(
      prepareSource({ name: 'x.txt', bytes: Buffer.from([0, 1, 2, 0, 9]), kind: 'text', maxBytes: MB }),
      /binary/,
    );
    await assert.rejects(
      prepareSource({ name: 'x.txt', bytes: Buffer.alloc(2 * MB, 97), kind: 'text', maxBytes: MB }),
      /too large/,
    );
    await assert.rejects(
      prepareSource({ name: 'x.pdf', bytes: Buffer.from('hello'), kind: 'pdf', maxBytes: MB }),
      /not a PDF/,
    );
    const three = await makePdf([['a b c.'], ['d e f.'], ['g h i.']]);
    await assert.rejects(pdfPages(three, { maxPages: 2, maxInflatedBytes: MB }), /3 pages; the limit is 2/);
  });

  it('file names cannot climb out of the sources folder or hide', () => {
    assert.equal(sourceFileName('../../etc/passwd', 'text'), 'etc-passwd.txt');
    assert.equal(sourceFileName('.env', 'text'), 'source.txt');
    assert.equal(sourceFileName('Report 2024.PDF', 'pdf'), 'report-2024.pdf.md');
    assert.equal(sourceFileName('页面.html', 'html'), 'source.html');
  });
});

describe('knowledge bases', () => {
  it('a source added to one server is searched there and nowhere else', async () => {
    const bases = new KnowledgeBases(testConfig());
    await addText(bases, A, 'notes.txt', NOTE);
    const inA = await bases.ask(A, 'How many puffins does the lighthouse keeper feed?');
    assert.match(inA.results[0]?.text ?? '', /seventeen puffins/);
    assert.equal(inA.results[0]?.scope, 'server');
    const inB = await bases.ask(B, 'How many puffins does the lighthouse keeper feed?');
    assert.ok(inB.results.every((r) => !/puffins/.test(r.text)));
    const shared = await bases.ask(null, 'How many puffins does the lighthouse keeper feed?');
    assert.ok(shared.results.every((r) => r.scope === 'shared'));
    await assert.rejects(async () => bases.forServer('../200000000000000002'), /not a Discord server id/);
  });

  it("embeds a question and the words both bases' expansions look up in one model call", async () => {
    // Before: the question once, then its unknown words once per base (three calls).
    const bases = new KnowledgeBases(testConfig({ LEXICAL_EXPANSION: '0.5', ONNX_SPINNING: '0' }));
    await addText(bases, A, 'notes.txt', NOTE);
    // Both vocabularies are embedded before the question counted (the first unknown word waits for them).
    await bases.ask(A, 'How many quibbles?');
    const runs = await countModelRuns(() => bases.ask(A, 'How much zorblax?'));
    assert.equal(runs, 1);
  });

  it('keeps at most MAX_LOADED_SERVERS in memory, dropping the least recently used', () => {
    const bases = new KnowledgeBases(testConfig({ MAX_LOADED_SERVERS: '2' }));
    const first = bases.forServer('200000000000000001');
    bases.forServer('200000000000000003');
    bases.forServer('200000000000000001'); // used again: now the most recent
    bases.forServer('200000000000000004');
    assert.equal(bases.loadedServers, 2);
    assert.equal(bases.forServer('200000000000000001'), first, 'the recently used one stayed');
  });

  it('a failed add leaves the previous index serving and the folder as it was', async () => {
    const config = testConfig();
    const bases = new KnowledgeBases(config);
    await addText(bases, A, 'notes.txt', NOTE);
    const base = bases.forServer(A);
    // A file where the embedding-cache folder should be: a real write failure.
    const cacheDir = join(base.config.indexDir, 'embedding-cache');
    rmSync(cacheDir, { recursive: true, force: true });
    writeFileSync(cacheDir, 'not a folder');
    await assert.rejects(
      addText(bases, A, 'bells.txt', 'Bells\n\nThe harbour bell rings nine times at noon.\n'),
    );
    rmSync(cacheDir, { force: true });
    assert.deepEqual(readdirSync(base.sourcesDir), ['notes.txt']);
    assert.deepEqual(Object.keys(await base.sourceMeta()), ['notes.txt'], 'no metadata left behind');
    const answer = await bases.ask(A, 'How many puffins does the lighthouse keeper feed?');
    assert.match(answer.results[0]?.text ?? '', /seventeen puffins/);
  });

  it('refuses more than MAX_SOURCES_PER_SERVER and a second source of the same name', async () => {
    const bases = new KnowledgeBases(testConfig());
    await addText(bases, A, 'notes.txt', NOTE);
    await assert.rejects(addText(bases, A, 'notes.txt', `${NOTE}More.\n`), /already exists/);
    const prepared = await prepareSource({
      name: 'more.txt',
      bytes: Buffer.from(NOTE),
      kind: 'text',
      maxBytes: MB,
    });
    await assert.rejects(
      bases.forServer(A).add(prepared, { addedBy: '1', maxSources: 1 }),
      /MAX_SOURCES_PER_SERVER/,
    );
  });

  it('removing the last source of a server drops its index', async () => {
    const bases = new KnowledgeBases(testConfig());
    await addText(bases, A, 'notes.txt', NOTE);
    const base = bases.forServer(A);
    assert.ok(existsSync(base.config.indexDir));
    await base.remove('notes.txt');
    assert.equal(existsSync(base.config.indexDir), false);
    assert.equal(await base.hasContent(), false);
    const answer = await bases.ask(A, 'How many puffins does the lighthouse keeper feed?');
    assert.ok(answer.results.every((r) => r.scope === 'shared'));
  });
});

describe('audit log', () => {
  it('lives in the feedback database as migration 2 and is read per server', () => {
    const path = join(tempDir('quarry-audit-'), 'feedback.db');
    const store = FeedbackStore.open(path);
    assert.equal(store.db.pragma('user_version', { simple: true }), 2);
    const audit = new AuditLog(store);
    audit.record({
      guildId: A,
      actorId: '11',
      action: 'add',
      source: 'a.txt',
      outcome: 'ok',
      detail: '3 passages',
      at: 1,
    });
    audit.record({
      guildId: B,
      actorId: '12',
      action: 'remove',
      source: 'b.txt',
      outcome: 'ok',
      detail: null,
      at: 2,
    });
    audit.record({
      guildId: A,
      actorId: '11',
      action: 'reload',
      source: null,
      outcome: 'failed',
      detail: 'x',
      at: 3,
    });
    assert.deepEqual(
      audit.recent(A).map((e) => `${e.action}:${e.outcome}`),
      ['reload:failed', 'add:ok'],
    );
    assert.equal(audit.recent(B).length, 1);
    store.close();
  });
});

describe('CLI --server', () => {
  it('ask and ingest act on that server’s sources; without it, only the shared ones', async () => {
    const config = testConfig();
    const env = {
      ...process.env,
      EMBEDDING_MODEL: config.embeddingModel,
      SOURCES_DIR: config.sourcesDir,
      INDEX_DIR: config.indexDir,
      MODEL_CACHE_DIR: config.modelCacheDir,
      URL_SOURCES_FILE: config.urlSourcesFile,
      SERVERS_DIR: config.serversDir,
    };
    const sources = join(config.serversDir, A, 'sources');
    mkdirSync(sources, { recursive: true });
    writeFileSync(join(sources, 'notes.txt'), NOTE);
    const ingest = await runTypeScript('src/cli/ingest.ts', ['--server', A, '--json'], { env });
    assert.equal(ingest.code, 0, ingest.stderr);
    assert.equal(JSON.parse(ingest.stdout).sources, 1);
    const question = 'How many puffins does the lighthouse keeper feed?';
    const inA = await runTypeScript('src/cli/ask.ts', ['--json', '--server', A, question], { env });
    assert.equal(inA.code, 0, inA.stderr);
    assert.match(JSON.parse(inA.stdout).results[0].text, /seventeen puffins/);
    const shared = await runTypeScript('src/cli/ask.ts', ['--json', question], { env });
    assert.doesNotMatch(shared.stdout, /(?:__)?seventeen(?:__)? puffins/);
    const bad = await runTypeScript('src/cli/ask.ts', ['--server', '../x', question], { env });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /not a Discord server id/);
  });
});

describe('exact search for small indexes', () => {
  it('reads the saved graph file’s vectors and finds the same neighbours as the graph', async () => {
    const { VectorIndex } = await import('../src/index/vector-index.ts');
    const dimension = 16;
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648 - 0.5;
    };
    const graph = VectorIndex.create(dimension, 300, { m: 16, efConstruction: 200, ef: 300 });
    for (let label = 0; label < 300; label++)
      graph.add(Float32Array.from({ length: dimension }, random), label);
    const path = join(tempDir('quarry-vectors-'), 'vectors.hnsw');
    await graph.save(path);
    const { readFileSync } = await import('node:fs');
    const exact = VectorIndex.fromSavedVectors(readFileSync(path), dimension);
    assert.ok(exact);
    assert.equal(exact.size, 300);
    for (let q = 0; q < 20; q++) {
      const query = Float32Array.from({ length: dimension }, random);
      const fromGraph: number[] = graph.search(query, 10).map((n) => n.label);
      const fromFlat: number[] = exact.search(query, 10).map((n) => n.label);
      assert.deepEqual(fromFlat, fromGraph);
      assert.ok(Math.abs(exact.similarityTo(3, query) - graph.similarityTo(3, query)) < 1e-5);
    }
    assert.deepEqual(
      (await graph.toExact(path)).search(
        Float32Array.from({ length: dimension }, () => 0.1),
        5,
      ),
      exact.search(
        Float32Array.from({ length: dimension }, () => 0.1),
        5,
      ),
    );
    assert.equal(VectorIndex.fromSavedVectors(Buffer.alloc(200, 1), dimension), null, 'not the layout: null');
    // Saved again (a reload that reuses the index), exact mode writes the same graph file.
    const again = join(tempDir('quarry-vectors-'), 'vectors.hnsw');
    await exact.save(again);
    assert.deepEqual(readFileSync(again), readFileSync(path));
  });
});

describe('a server’s first add', () => {
  it('questions asked while it is being indexed get the shared sources, not an error', async () => {
    const bases = new KnowledgeBases(testConfig());
    const prepared = await prepareSource({
      name: 'notes.txt',
      bytes: Buffer.from(NOTE),
      kind: 'text',
      maxBytes: MB,
    });
    const adding = bases.forServer(A).add(prepared, { addedBy: '1' });
    const during = await bases.ask(A, 'How many time zones does Russia have?');
    assert.match(during.results[0]?.text ?? '', /11 time zones/);
    await adding;
    const after = await bases.ask(A, 'How many puffins does the lighthouse keeper feed?');
    assert.match(after.results[0]?.text ?? '', /seventeen puffins/);
  });
});
