import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FORMAT_VERSION, loadIndex, writeIndex } from '../src/index/store.ts';
import { Quarry } from '../src/quarry.ts';
import { ARTICLE_ID, captureLogs, testConfig } from './helpers.ts';

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

type Json = Record<string, unknown>;

function editManifest(edit: (manifest: Json) => void) {
  return (dir: string, gen: string) => {
    const path = join(dir, gen, 'manifest.json');
    const manifest = JSON.parse(readFileSync(path, 'utf8'));
    edit(manifest);
    writeFileSync(path, JSON.stringify(manifest));
  };
}

/** Rewrites passages.json and its checksum in the manifest, so only the shape is wrong. */
function editPassages(edit: (passages: Json[]) => Json[]) {
  return (dir: string, gen: string) => {
    const path = join(dir, gen, 'passages.json');
    const bytes = Buffer.from(JSON.stringify(edit(JSON.parse(readFileSync(path, 'utf8')))));
    writeFileSync(path, bytes);
    editManifest((m) => {
      (m.files as Json)['passages.json'] = {
        bytes: bytes.length,
        sha256: createHash('sha256').update(bytes).digest('hex'),
      };
    })(dir, gen);
  };
}

async function freshIndex() {
  const config = testConfig();
  const quarry = new Quarry(config);
  const summary = await quarry.reload();
  return { config, quarry, summary };
}

describe('index persistence', () => {
  it('round-trips: a new process loads the same passages without re-embedding', async () => {
    const { config, quarry, summary } = await freshIndex();
    assert.equal(summary.sources, 1);
    assert.ok(summary.passages >= 15);
    assert.equal(summary.added, summary.passages);
    const before = await quarry.ask('How many time zones does Russia have?');

    const reopened = new Quarry(config);
    const { lines } = await captureLogs(() => reopened.open());
    assert.deepEqual(lines, [], 'a valid index loads silently');
    const after = await reopened.ask('How many time zones does Russia have?');
    assert.deepEqual(after.results, before.results);
  });

  it('writes a manifest with format version, model, dimension, counts and a checksum per file', async () => {
    const { config } = await freshIndex();
    const generation = readFileSync(join(config.indexDir, 'CURRENT'), 'utf8').trim();
    const manifest = JSON.parse(readFileSync(join(config.indexDir, generation, 'manifest.json'), 'utf8'));
    assert.equal(manifest.formatVersion, FORMAT_VERSION);
    assert.equal(manifest.passageMaxTokens, 256);
    assert.equal(manifest.model.dimension, 96);
    assert.match(manifest.model.id, /tiny-embedder#fp32$/);
    assert.equal(manifest.sources[0].id, ARTICLE_ID);
    assert.match(manifest.sources[0].contentHash, /^[0-9a-f]{64}$/);
    for (const name of ['passages.json', 'vectors.hnsw', 'sentences.f32']) {
      assert.equal(manifest.files[name].bytes, statSync(join(config.indexDir, generation, name)).size);
      assert.match(manifest.files[name].sha256, /^[0-9a-f]{64}$/);
    }
  });

  const damages: [string, (indexDir: string, generation: string) => void, RegExp][] = [
    [
      'every file truncated',
      (dir) => {
        for (const f of filesUnder(dir)) truncateSync(f, 0);
      },
      /CURRENT is damaged/,
    ],
    [
      'vectors truncated',
      (dir, gen) => truncateSync(join(dir, gen, 'vectors.hnsw'), 100),
      /vectors\.hnsw is 100 bytes.*truncated/,
    ],
    [
      'a flipped byte in passages.json',
      (dir, gen) => {
        const path = join(dir, gen, 'passages.json');
        const text = readFileSync(path, 'utf8');
        writeFileSync(path, text.replace('time zones', 'time zonez'));
      },
      /passages\.json checksum mismatch/,
    ],
    ['manifest missing', (dir, gen) => truncateSync(join(dir, gen, 'manifest.json'), 0), /JSON|manifest/],
    // Issue 11, item 3: JSON that parses but has the wrong shape once crashed every later ask.
    [
      'manifest "sources": null',
      editManifest((m) => Object.assign(m, { sources: null })),
      /manifest is malformed \(sources/,
    ],
    [
      'manifest "sources": {}',
      editManifest((m) => Object.assign(m, { sources: {} })),
      /manifest is malformed \(sources/,
    ],
    [
      'manifest "sources": [1, null]',
      editManifest((m) => Object.assign(m, { sources: [1, null] })),
      /manifest is malformed \(sources\.0/,
    ],
    [
      'manifest "model": "x"',
      editManifest((m) => Object.assign(m, { model: 'x' })),
      /manifest is malformed \(model/,
    ],
    [
      'manifest without passageMaxTokens',
      editManifest((m) => Object.assign(m, { passageMaxTokens: undefined })),
      /passageMaxTokens/,
    ],
    [
      'an index of format version 1',
      editManifest((m) => Object.assign(m, { formatVersion: 1 })),
      /format version 1, this Quarry writes 2/,
    ],
    [
      'passages.json of the wrong shape, checksums valid',
      editPassages((p) => p.map((x: Record<string, unknown>) => ({ ...x, sentences: null }))),
      /passages\.json is malformed \(0\.sentences/,
    ],
    [
      'passage offsets that do not match its text, checksums valid',
      editPassages((p) => p.map((x: Record<string, unknown>) => ({ ...x, end: 5 }))),
      /offsets do not match its text|span ends before it starts/,
    ],
  ];
  for (const [name, damage, reason] of damages) {
    it(`${name} → rebuilt from the sources with a one-line warning, and answers stay right`, async () => {
      const { config } = await freshIndex();
      const generation = readFileSync(join(config.indexDir, 'CURRENT'), 'utf8').trim();
      damage(config.indexDir, generation);
      const reopened = new Quarry(config);
      const { result: answer, lines } = await captureLogs(() =>
        reopened.ask('How many time zones does Russia have?'),
      );
      const warnings = lines.filter((l) => l.startsWith('warn: index:') && l.includes('rebuilding'));
      assert.equal(warnings.length, 1, lines.join('\n'));
      assert.match(warnings[0] ?? '', reason);
      assert.match(answer.results[0]?.text ?? '', /11 time zones/);
    });
  }

  it('another model or dimension → the index is not used', async () => {
    const { config } = await freshIndex();
    const outcome = await loadIndex(
      config.indexDir,
      { id: 'other/model#fp32', fingerprint: 'x', dimension: 96 },
      config.hnsw,
    );
    assert.equal(outcome.status, 'invalid');
    assert.match(outcome.status === 'invalid' ? outcome.reason : '', /manifest model mismatch/);
  });

  it('leaves only the live generation behind after a rebuild', async () => {
    const { config, quarry } = await freshIndex();
    await quarry.reload();
    const generations = readdirSync(config.indexDir).filter((n) => n.startsWith('gen-'));
    assert.equal(generations.length, 1);
    assert.ok(!readdirSync(config.indexDir).some((n) => n.endsWith('.tmp') || n === 'write.lock'));
  });
});

describe('embedding cache', () => {
  it('re-embeds nothing for unchanged sources, and only the changed paragraph after an edit', async () => {
    const { config, quarry, summary } = await freshIndex();
    assert.ok(summary.embedded > summary.passages, 'first build embeds passages and sentences');

    const generation = readFileSync(join(config.indexDir, 'CURRENT'), 'utf8');
    const again = await quarry.reload();
    assert.equal(again.embedded, 0);
    assert.equal(
      readFileSync(join(config.indexDir, 'CURRENT'), 'utf8'),
      generation,
      'nothing changed, nothing rewritten',
    );
    assert.equal(again.unchanged, summary.passages);
    assert.equal(again.added + again.removed, 0);

    const path = join(config.sourcesDir, ARTICLE_ID);
    writeFileSync(
      path,
      readFileSync(path, 'utf8').replace('They have 11 time zones.', 'They have eleven time zones.'),
    );
    const edited = await quarry.reload();
    assert.equal(edited.added, 1);
    assert.equal(edited.removed, 1);
    assert.equal(edited.embedded, 2, 'the changed passage and its changed sentence');
    const answer = await quarry.ask('How many time zones does Russia have?');
    assert.match(answer.results[0]?.text ?? '', /eleven time zones/);
  });

  it('survives a damaged cache file by re-embedding', async () => {
    const { config, quarry } = await freshIndex();
    for (const f of filesUnder(join(config.indexDir, 'embedding-cache'))) truncateSync(f, 10);
    const path = join(config.sourcesDir, ARTICLE_ID);
    writeFileSync(
      path,
      readFileSync(path, 'utf8').replace('They have 11 time zones.', 'They have eleven time zones.'),
    );
    const { result, lines } = await captureLogs(() => quarry.reload());
    assert.ok(result.embedded > 2, 'everything is embedded again, not only the changed passage');
    assert.equal(result.added, 1);
    assert.ok(lines.some((l) => /embedding cache .* unreadable/.test(l)));
  });
});

describe('readers while generations are swapped (issue 11, item 7)', () => {
  it('every load succeeds while a writer swaps generations; the live and the previous one are kept', async () => {
    const { config } = await freshIndex();
    const generation = readFileSync(join(config.indexDir, 'CURRENT'), 'utf8').trim();
    const model = JSON.parse(readFileSync(join(config.indexDir, generation, 'manifest.json'), 'utf8')).model;
    const first = await loadIndex(config.indexDir, model, config.hnsw);
    assert.equal(first.status, 'loaded');
    if (first.status !== 'loaded') return;
    const { index } = first;
    let writing = true;
    let loads = 0;
    const failures: string[] = [];
    const writer = (async () => {
      for (let i = 0; i < 30; i++) {
        await writeIndex(config.indexDir, {
          model,
          passageMaxTokens: index.manifest.passageMaxTokens,
          hnsw: config.hnsw,
          sources: index.manifest.sources,
          passages: index.passages,
          vectors: index.vectors,
          sentenceVectors: index.sentenceVectors,
        });
      }
      writing = false;
    })();
    const reader = async () => {
      while (writing) {
        const outcome = await loadIndex(config.indexDir, model, config.hnsw);
        loads++;
        if (outcome.status !== 'loaded')
          failures.push(outcome.status === 'invalid' ? outcome.reason : 'missing');
      }
    };
    await Promise.all([writer, reader(), reader(), reader()]);
    assert.deepEqual(failures, [], `${failures.length} of ${loads} loads failed`);
    assert.ok(loads >= 10, `only ${loads} loads ran during the swaps`);
    const generations = readdirSync(config.indexDir).filter((n) => n.startsWith('gen-'));
    assert.equal(generations.length, 2, 'the live generation and the one before it');
  });
});

describe('embedding cache checksums (issue 11, item 4)', () => {
  it('a NaN and a flipped bit in cached vectors are caught: those texts are embedded again, the rest reused', async () => {
    const { config, quarry } = await freshIndex();
    const before = await quarry.ask('How many time zones does Russia have?');
    const [cacheFile] = filesUnder(join(config.indexDir, 'embedding-cache'));
    assert.ok(cacheFile);
    const bytes = readFileSync(cacheFile);
    const count = bytes.readUInt32LE(8);
    const record = (bytes.length - 12) / count;
    bytes.writeFloatLE(Number.NaN, 12 + 32); // record 0: first value NaN
    bytes[12 + record + 40] = (bytes[12 + record + 40] ?? 0) ^ 0x10; // record 1: one bit flipped
    writeFileSync(cacheFile, bytes);
    rmSync(join(config.indexDir, 'CURRENT')); // force a full rebuild from the cache

    const rebuilt = new Quarry(config);
    const { result, lines } = await captureLogs(() => rebuilt.reload());
    assert.equal(result.embedded, 2, 'exactly the two damaged records are embedded again');
    assert.ok(
      lines.some((l) => /2 damaged records dropped/.test(l)),
      lines.join('\n'),
    );
    const after = await rebuilt.ask('How many time zones does Russia have?');
    assert.deepEqual(after.results, before.results);
  });
});

describe('reloading one source', () => {
  it('re-reads only that source; the others keep their indexed text', async () => {
    const config = testConfig();
    writeFileSync(join(config.sourcesDir, 'notes.md'), '# Notes\n\nThe ferry leaves at nine.');
    const quarry = new Quarry(config);
    await quarry.reload();
    const article = join(config.sourcesDir, ARTICLE_ID);
    writeFileSync(
      article,
      readFileSync(article, 'utf8').replace('They have 11 time zones.', 'They have eleven time zones.'),
    );
    writeFileSync(join(config.sourcesDir, 'notes.md'), '# Notes\n\nThe ferry leaves at ten.');
    const summary = await quarry.reload({ only: 'notes.md' });
    assert.equal(summary.sources, 2);
    assert.equal(summary.added, 1);
    assert.match((await quarry.ask('When does the ferry leave?')).results[0]?.text ?? '', /at ten/);
    assert.match(
      (await quarry.ask('How many time zones does Russia have?')).results[0]?.text ?? '',
      /11 time zones/,
    );
    await assert.rejects(quarry.reload({ only: 'nope.txt' }), {
      code: 'reload.unknown-source',
      message: /"nope\.txt"/,
    });
  });
});
