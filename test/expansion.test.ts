import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadCoreConfig } from '../src/config.ts';
import { UserFacingError } from '../src/errors.ts';
import { buildVectorIndexes } from '../src/index/search-index.ts';
import type { Passage } from '../src/passages/split.ts';
import { Quarry } from '../src/quarry.ts';
import {
  expandQuestion,
  keepPlainScale,
  SourceVocabulary,
  type Substitute,
  sourceWords,
  unknownWords,
  WordVectors,
} from '../src/search/expansion.ts';
import { LexicalIndex } from '../src/search/lexical-index.ts';
import {
  prepareQuestion,
  SCORING,
  type ScoredPassage,
  type SearchOptions,
  search,
} from '../src/search/retrieve.ts';
import { countModelRuns, tempDir, testConfig } from './helpers.ts';

/** One-sentence passages of one source, laid end to end. */
function passages(texts: string[]): Passage[] {
  let offset = 0;
  return texts.map((text, i) => {
    const start = offset;
    offset += text.length + 2;
    return {
      id: `p${i}`,
      sourceId: 'source',
      paragraph: i + 1,
      start,
      end: start + text.length,
      text,
      sentences: [{ start, end: start + text.length }],
    };
  });
}

const unit = (x: number, y: number) => Float32Array.from([x, y].map((v) => v / Math.hypot(x, y)));

describe('lexical expansion (LEXICAL_EXPANSION)', () => {
  it('lists the searched words the sources never use, once, in lower case', () => {
    const knows = (term: string) => ['russia', 'export'].includes(term);
    assert.deepEqual(unknownWords('Does Russia export CRUDE? crude tankers', knows), ['crude', 'tankers']);
  });

  it('searches a substitute that reaches the threshold instead of the unknown word', () => {
    const prepared = prepareQuestion('Does Russia export crude or lumber?');
    const substitutes = new Map<string, Substitute | null>([
      ['crude', { term: 'oil', word: 'oil', cosine: 0.62 }],
      ['lumber', { term: 'gold', word: 'gold', cosine: 0.31 }],
    ]);
    const expanded = expandQuestion(prepared, substitutes, 0.5);
    assert.match(expanded.lexicalQuery, /\boil$/);
    assert.ok(expanded.terms.has('oil'));
    assert.ok(!expanded.terms.has('crude'));
    assert.ok(!expanded.terms.has('gold'), 'below the threshold: not searched');
    assert.ok(expanded.terms.has('lumber'));
    assert.equal(expanded.question, prepared.question, 'the question itself is unchanged');
    assert.equal(expandQuestion(prepared, substitutes, 0.7), prepared, 'nothing reaches 0.7');
  });

  it('finds the nearest source word by embedding', () => {
    const found = sourceWords(
      passages(['Oil exports rose.', 'Oil and gold exports fell.']).map((p) => ({ ...p, sentenceRow: 0 })),
    );
    assert.deepEqual(found.terms, ['oil', 'export', 'rose', 'gold', 'fell']);
    assert.equal(found.words[1], 'exports');
    const vocabulary = new SourceVocabulary(['oil', 'gold'], ['oil', 'gold'], [unit(1, 0), unit(0, 1)]);
    assert.equal(vocabulary.nearest(unit(1, 0.2))?.word, 'oil');
    assert.equal(vocabulary.nearest(unit(0.1, 1))?.word, 'gold');
    // Found once per word vector (a scan is the vocabulary's size × the dimension, every question).
    const crude = unit(1, 0.3);
    assert.equal(vocabulary.nearest(crude), vocabulary.nearest(crude), 'the same substitute object');
  });

  it('embeds each word once, for every index of the model', async () => {
    const embedded: string[] = [];
    const store = new WordVectors(async (words) => {
      embedded.push(...words);
      return words.map((w) => unit(w.length, 1));
    });
    const first = await store.of(['oil', 'gold', 'oil']);
    const again = await store.of(['gold', 'grain']);
    assert.deepEqual(embedded, ['oil', 'gold', 'grain']);
    assert.equal(first[1], again[0], 'the same vector object');
    const small = new WordVectors(async (words) => words.map(() => unit(1, 0)), 2);
    await small.of(['a', 'b']);
    assert.equal((await small.of(['c', 'd'])).length, 2, 'emptied when full, still answers');
  });

  it('keeps the order of the expanded ranking and the best score of the plain one', () => {
    const scored = (id: string, relevance: number) =>
      ({ passage: { id }, relevance }) as unknown as ScoredPassage;
    const shifted = keepPlainScale(
      [scored('b', 0.6), scored('a', 0.5)],
      [scored('a', 0.4), scored('b', 0.3)],
    );
    assert.deepEqual(
      shifted.map((s) => [s.passage.id, Number(s.relevance.toFixed(2))]),
      [
        ['b', 0.4],
        ['a', 0.3],
      ],
    );
  });

  it('lets a substitute reorder the passages in search, without raising the best score', () => {
    // Dense ties (every text has the same vector), so only the lexical side can tell them apart:
    // "crude" is in neither passage; its substitute "oil" is in the second.
    const list = passages(['Russia exports grain by sea.', 'Russia exports oil by sea.']);
    const built = buildVectorIndexes(list, () => unit(1, 1), 2, { m: 16, efConstruction: 100, ef: 50 });
    const index = {
      passages: built.passages,
      vectors: built.vectors,
      sentenceVectors: built.sentenceVectors,
      lexical: new LexicalIndex(list.map((p) => p.text)),
    };
    const options: SearchOptions = {
      ...SCORING,
      mode: 'hybrid',
      k: 2,
      minRelevance: 0,
      supportShare: 0,
      answerCheck: null,
    };
    const question = 'What crude does Russia export by sea?';
    const plain = search(index, question, unit(1, 1), options, () => false);
    assert.equal(plain.results[0]?.passage.text, list[0]?.text, 'a tie keeps the first passage first');
    const substitutes = new Map([['crude', { term: 'oil', word: 'oil', cosine: 0.7 }]]);
    const expanded = search(
      index,
      question,
      unit(1, 1),
      options,
      () => false,
      (p) => expandQuestion(p, substitutes, 0.5),
    );
    assert.equal(expanded.results[0]?.passage.text, list[1]?.text, 'the oil passage first');
    assert.equal(expanded.results[0]?.relevance, plain.results[0]?.relevance, 'the same best score');
  });

  it('is on at 0.5 unless LEXICAL_EXPANSION is off', () => {
    assert.equal(loadCoreConfig({}).lexicalExpansion, 0.5);
    assert.equal(loadCoreConfig({ LEXICAL_EXPANSION: 'off' }).lexicalExpansion, null);
    assert.equal(loadCoreConfig({ LEXICAL_EXPANSION: '0' }).lexicalExpansion, null);
    assert.equal(loadCoreConfig({ LEXICAL_EXPANSION: '0.5' }).lexicalExpansion, 0.5);
    assert.throws(
      () => loadCoreConfig({ LEXICAL_EXPANSION: '2' }),
      (e) => e instanceof UserFacingError && e.code === 'config',
    );
  });

  it("embeds a served index's vocabulary in the background, before any question needs it", async () => {
    // Otherwise the first question with an unknown word embeds every source word on its answer
    // path (the article: ~0.2 s; a long PDF: seconds).
    const sources = join(tempDir('quarry-sources-'), 'sources');
    mkdirSync(sources, { recursive: true });
    writeFileSync(join(sources, 'words.txt'), 'The zorblax quindle measured forty gleeps at dawn.\n');
    const quarry = new Quarry(testConfig({ SOURCES_DIR: sources, LEXICAL_EXPANSION: '0.5' }));
    const embedder = await quarry.embedder();
    const embed = embedder.embed;
    const embedded: string[] = [];
    embedder.embed = (texts, kind) => {
      embedded.push(...texts);
      return embed.call(embedder, texts, kind);
    };
    try {
      await quarry.open();
      const deadline = Date.now() + 10_000;
      while (!embedded.includes('zorblax') && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.ok(embedded.includes('zorblax'), `the vocabulary was not embedded: ${embedded.join(' | ')}`);
    } finally {
      embedder.embed = embed;
    }
  });

  it('answers through Quarry with the best score of the plain query (fixture model)', async () => {
    // At the lowest cosine every unknown word ("penalties", "dc", "slap", "federation") gets a
    // substitute, so the lexical query changes; the answer check is off to compare rankings only.
    const question = 'Which penalties did DC slap on the federation?';
    const options = { minRelevance: 0, answerCheck: null };
    const plain = await new Quarry(testConfig()).ask(question, options);
    const expanded = await new Quarry(testConfig({ LEXICAL_EXPANSION: '0.1' })).ask(question, options);
    assert.ok(plain.results[0] && expanded.results[0]);
    assert.equal(expanded.results[0].score, plain.results[0].score);
    const ranking = (answer: typeof plain) => answer.results.map((r) => [r.passageId, r.score]);
    assert.notDeepEqual(ranking(expanded), ranking(plain), 'the substitutes changed the ranking');
  });

  it('embeds a question and the words it looks up in one model call, with the same answer', async () => {
    // Before, the question was embedded, then its unknown words in a second call on the answer
    // path (+1.5 ms p50 on the quick bench). 'zorblax' is in no source and embedded nowhere else.
    const question = 'How much zorblax?';
    const options = { minRelevance: 0, answerCheck: null };
    const quarry = new Quarry(testConfig({ LEXICAL_EXPANSION: '0.1', ONNX_SPINNING: '0' }));
    // The vocabulary is embedded before the question (the first question with an unknown word waits for it).
    await quarry.ask('Which quibbles?', options);
    let expanded: Awaited<ReturnType<Quarry['ask']>> | undefined;
    const runs = await countModelRuns(async () => {
      expanded = await quarry.ask(question, options);
    });
    assert.equal(runs, 1);
    const plain = await new Quarry(testConfig({ LEXICAL_EXPANSION: 'off' })).ask(question, options);
    assert.ok(expanded?.results[0] && plain.results[0]);
    assert.equal(expanded.results[0].score, plain.results[0].score);
    const ranking = (answer: typeof plain) => answer.results.map((r) => [r.passageId, r.score]);
    assert.notDeepEqual(
      ranking(expanded),
      ranking(plain),
      'the word embedded with the question was substituted',
    );
  });
});
