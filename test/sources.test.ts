import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadSources } from '../src/sources/load.ts';
import { tempDir } from './helpers.ts';

const MB = 1024 * 1024;

describe('loadSources', () => {
  it('loads txt, md and html, and skips bad files with a reason while loading the rest', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'notes.txt'), 'Plain Notes\n\nThe kettle boils at one hundred degrees.');
    writeFileSync(join(dir, 'guide.md'), '# Widget Guide\n\nWidgets are small.');
    writeFileSync(
      join(dir, 'page.html'),
      '<html><head><title>Gadgets</title></head><body><p>Gadgets are large.</p></body></html>',
    );
    writeFileSync(join(dir, 'image.txt'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01, 0x02, 0x03]));
    writeFileSync(join(dir, 'empty.md'), '   \n\n');
    writeFileSync(join(dir, 'copy.txt'), 'Plain Notes\n\nThe kettle boils at one hundred degrees.');
    writeFileSync(join(dir, 'slides.pdf'), '%PDF-1.4');
    writeFileSync(join(dir, 'latin1.txt'), Buffer.from('Caf\xe9 cr\xe8me is served hot.', 'latin1'));
    writeFileSync(join(dir, '.hidden.txt'), 'never loaded');

    const loaded = await loadSources(dir, { maxBytes: MB });
    const titles = Object.fromEntries(loaded.sources.map((s) => [s.id, s.title]));
    // Files load in name order, so of two identical files the first name is kept.
    assert.deepEqual(titles, {
      'copy.txt': 'Plain Notes',
      'guide.md': 'Widget Guide',
      'latin1.txt': 'latin1',
      'page.html': 'Gadgets',
    });
    const reasons = Object.fromEntries(loaded.skipped.map((s) => [s.id, s.reason]));
    assert.match(reasons['image.txt'] ?? '', /binary/);
    assert.match(reasons['empty.md'] ?? '', /no text/);
    assert.equal(reasons['notes.txt'], 'same text as copy.txt');
    assert.match(reasons['slides.pdf'] ?? '', /unsupported file type/);
    assert.deepEqual(loaded.warnings, ['latin1.txt: not valid UTF-8, read as Windows-1252']);
    assert.ok(loaded.sources.find((s) => s.id === 'latin1.txt')?.text.includes('Café crème'));
  });

  it('refuses a file over the size limit with the limit in the reason', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'huge.txt'), 'word '.repeat(300_000));
    const loaded = await loadSources(dir, { maxBytes: MB });
    assert.equal(loaded.sources.length, 0);
    assert.match(loaded.skipped[0]?.reason ?? '', /too large .*MAX_SOURCE_MB=1/);
  });

  it('refuses a 50 MB source under the default 20 MB limit without reading it into memory', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'dump.txt'), Buffer.alloc(50 * MB, 'lorem ipsum dolor sit amet\n'));
    const before = process.memoryUsage().rss;
    const loaded = await loadSources(dir, { maxBytes: 20 * MB });
    assert.equal(loaded.sources.length, 0);
    assert.equal(loaded.skipped[0]?.reason, 'too large (50.0 MB; the limit is MAX_SOURCE_MB=20)');
    assert.ok(process.memoryUsage().rss - before < 20 * MB, 'the file was not read');
  });

  it('gives a stable content hash that changes with the text', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.txt'), 'Alpha text here.');
    const first = await loadSources(dir, { maxBytes: MB });
    const again = await loadSources(dir, { maxBytes: MB });
    writeFileSync(join(dir, 'a.txt'), 'Alpha text changed.');
    const changed = await loadSources(dir, { maxBytes: MB });
    assert.equal(first.sources[0]?.contentHash, again.sources[0]?.contentHash);
    assert.notEqual(first.sources[0]?.contentHash, changed.sources[0]?.contentHash);
  });
});
