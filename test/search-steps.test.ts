/** The pure steps of search (score → select) and the answerability check, on made-up passages. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StoredPassage } from '../src/index/store.ts';
import {
  ANSWER_CHECK,
  expectedAnswerType,
  fitsAnswerType,
  missingNumber,
  questionFocus,
  rareWordTest,
} from '../src/search/answerability.ts';
import { calibrationKey, FALLBACK_CALIBRATION, findCalibration } from '../src/search/calibration.ts';
import {
  answerSpan,
  expectedAnswer,
  holdsAnswer,
  namesEntity,
  questionEntities,
  sameName,
  taggedTexts,
} from '../src/search/expected-answer.ts';
import { focusTerms, groundsFocus, superlativeTerms } from '../src/search/focus-grounding.ts';
import { chooseQuote, type SentenceScore } from '../src/search/key-sentences.ts';
import { type LexicalHit, LexicalIndex } from '../src/search/lexical-index.ts';
import {
  type Candidate,
  denseScores,
  gatherCandidates,
  prepareQuestion,
  SCORING,
  type ScoredPassage,
  type SelectionPolicy,
  scoreCandidates,
  selectResults,
} from '../src/search/retrieve.ts';
import { contentTerms } from '../src/text/terms.ts';
import { WordNetNouns } from '../src/text/wordnet.ts';
import { FIXTURE_MODEL } from './helpers.ts';

let offset = 0;
function passage(text: string): StoredPassage {
  const start = offset;
  offset += text.length + 2;
  return {
    id: `p${start}`,
    sourceId: 'a.txt',
    paragraph: 1,
    start,
    end: start + text.length,
    text,
    sentences: [{ start, end: start + text.length }],
    sentenceRow: 0,
  };
}

function scored(text: string, relevance: number): ScoredPassage {
  const p = passage(text);
  return { passage: p, relevance, dense: relevance, lexical: 0, quote: { start: p.start, end: p.end } };
}

const everyWord = { knows: () => true, isRareWord: () => false };
const policy: SelectionPolicy = { k: 3, minRelevance: 0.3, supportShare: 0.8, answerCheck: ANSWER_CHECK };

describe('selectResults', () => {
  it('shows one quote when the runner-up is filler, however far above the threshold', () => {
    const outcome = selectResults(
      [scored('Russia has 11 time zones.', 0.7), scored('Russia is large.', 0.5), scored('Moscow.', 0.32)],
      prepareQuestion('How many time zones does Russia have?'),
      policy,
      everyWord,
    );
    assert.equal(outcome.answered, true);
    assert.equal(outcome.results.length, 1);
  });

  it('keeps a supporting passage close to the best one', () => {
    const outcome = selectResults(
      [scored('China controls nearly 70% of production.', 0.6), scored('China dominates rare earths.', 0.55)],
      prepareQuestion('How much of rare earth production does China control?'),
      policy,
      everyWord,
    );
    assert.equal(outcome.results.length, 2);
  });

  it('never keeps a supporting passage below the abstain threshold', () => {
    const outcome = selectResults(
      [scored('Russia has 11 time zones.', 0.33), scored('Russia is large.', 0.29)],
      prepareQuestion('How many time zones does Russia have?'),
      policy,
      everyWord,
    );
    assert.equal(outcome.results.length, 1);
  });

  it('abstains when a "how many" question meets a passage without any quantity', () => {
    const best = scored('Russia is one of the largest producers of oil and natural gas.', 0.6);
    const question = prepareQuestion('How many barrels of oil does Russia pump per day?');
    const outcome = selectResults([best], question, policy, everyWord);
    assert.equal(outcome.answered, false);
    assert.match(outcome.nearest?.check?.reason ?? '', /quantity/);
    assert.equal(selectResults([best], question, { ...policy, answerCheck: null }, everyWord).answered, true);
  });

  it('answers from a close passage that has the quantity asked for, instead of abstaining', () => {
    const outcome = selectResults(
      [
        scored('China dominates the rare earths market.', 0.6),
        scored('China controls nearly 70% of production.', 0.55),
      ],
      prepareQuestion('How much of the market does China control?'),
      // The margin is an option (the shipped check looks at the best passage only: margin 0).
      { ...policy, answerCheck: { ...ANSWER_CHECK, typeMargin: 0.1 } },
      everyWord,
    );
    assert.match(outcome.results[0]?.passage.text ?? '', /70%/);
  });

  it('answers a "when" question from a time of day ("at ten")', () => {
    const outcome = selectResults(
      [scored('The ferry leaves at ten.', 0.6)],
      prepareQuestion('When does the ferry leave?'),
      policy,
      everyWord,
    );
    assert.equal(outcome.answered, true);
  });

  it('abstains when a "when" question meets a passage without a date', () => {
    const outcome = selectResults(
      [scored('Trump spoke with Putin about trade.', 0.6)],
      prepareQuestion('When did Trump and Putin talk?'),
      policy,
      everyWord,
    );
    assert.equal(outcome.answered, false);
  });
});

describe('expectedAnswerType', () => {
  for (const [question, type] of [
    ['How many time zones does Russia have?', 'quantity'],
    ['hw many elemnts r in the rare earth group', 'quantity'],
    ["What share of the world's reserves does Russia hold?", 'quantity'],
    ['When did the two presidents speak?', 'date'],
    ['In what year did the regions declare independence?', 'date'],
    ['Who relayed the conversation?', 'other'],
  ] as const) {
    it(`${question} → ${type}`, () => assert.equal(expectedAnswerType(question), type));
  }
});

describe('fitsAnswerType', () => {
  it('counts spelled-out numbers from the teens and tens as quantities, not "one" or "often"', () => {
    for (const text of [
      'feeds seventeen puffins',
      'forty ships',
      'eighteen of them',
      'ninety-nine',
      '12 ports',
    ])
      assert.equal(fitsAnswerType(text, 'quantity'), true, text);
    for (const text of ['one of the largest producers', 'often and everywhere', 'seventeenth-century'])
      assert.equal(fitsAnswerType(text, 'quantity'), false, text);
  });
});

describe('scoreCandidates', () => {
  it('ranks by the fused relevance and gives a non-finite score 0', () => {
    const candidate = (text: string, cosine: number, bm25: number): Candidate => ({
      passage: passage(text),
      passageCosine: cosine,
      sentences: [{ span: { start: 0, end: 1 }, text, similarity: cosine, overlap: 0, weightedOverlap: 0 }],
      bm25,
      coverage: 1,
    });
    const ranked = scoreCandidates(
      [candidate('a', 0.1, 1), candidate('b', 0.6, 0), candidate('c', Number.NaN, 0)],
      prepareQuestion('question'),
      { ...SCORING, mode: 'hybrid' },
    );
    assert.deepEqual(
      ranked.map((r) => r.passage.text),
      ['b', 'a', 'c'],
    );
    assert.equal(ranked[2]?.relevance, 0);
  });
});

describe('scoreCandidates: the best sentence counts on the lexical side too', () => {
  // Two passages with the same cosines, BM25+ and coverage; in one the question's words meet in
  // one sentence, in the other they are scattered over three.
  const sentence = (text: string, weightedOverlap: number) => ({
    span: { start: 0, end: text.length },
    text,
    similarity: 0.4,
    overlap: weightedOverlap,
    weightedOverlap,
  });
  const candidate = (text: string, sentences: Candidate['sentences'], bm25: number): Candidate => ({
    passage: passage(text),
    passageCosine: 0.4,
    sentences,
    bm25,
    coverage: 1,
  });
  const scattered = candidate(
    'scattered',
    [sentence('Russia has land.', 0.3), sentence('It has reserves.', 0.3), sentence('Output is low.', 0.4)],
    2,
  );
  const together = candidate('together', [sentence("Russia's reserves are large, its output low.", 1)], 2);

  it('ranks the passage whose one sentence holds the question first', () => {
    const ranked = scoreCandidates([scattered, together], prepareQuestion('Russia reserves output'), {
      ...SCORING,
      mode: 'hybrid',
    });
    assert.deepEqual(
      ranked.map((r) => r.passage.text),
      ['together', 'scattered'],
    );
    assert.ok((ranked[0]?.lexical ?? 0) > (ranked[1]?.lexical ?? 0));
  });

  it('keeps the lexical score absolute: no shared word, no lexical score', () => {
    const none = candidate('none', [sentence('Nothing in common.', 0)], 0);
    const [only] = scoreCandidates([none], prepareQuestion('How far is the Moon?'), {
      ...SCORING,
      mode: 'bm25',
    });
    assert.equal(only?.lexical, 0);
  });
});

describe('chooseQuote: a sentence that refers back joins the one it refers to', () => {
  // A topic sentence, then its detail: the detail alone says "they", so it scores lower on both
  // the embedding and the question's words, yet it is what answers "what did he praise?".
  const texts = [
    'Trump underscored the vastness of the territory.',
    'They have very valuable earth, he said.',
    'Exports fell last year.',
  ];
  const sentences = (scores: [number, number][]): SentenceScore[] => {
    let at = 0;
    return texts.map((text, i) => {
      const span = { start: at, end: at + text.length };
      at += text.length + 1;
      const [similarity, weightedOverlap] = scores[i] ?? [0, 0];
      return { span, text, similarity, overlap: weightedOverlap, weightedOverlap };
    });
  };
  const options = {
    denseWeight: SCORING.quoteDenseWeight,
    weighted: SCORING.quoteWeightedOverlap,
    typeBonus: 0,
    fitsType: () => false,
    referenceMargin: SCORING.quoteReferenceMargin,
  };
  const quoted = (scored: SentenceScore[]) => {
    const span = chooseQuote(scored, options);
    return span ? texts.join(' ').slice(span.start, span.end) : null;
  };

  it('bolds the topic sentence and the detail that refers back to it', () => {
    // 0.6·0.6 + 0.4·0.5 = 0.56 against 0.6·0.45 + 0.4·0.25 = 0.37: 0.19 apart, more than the
    // 0.03 within which any neighbour joins.
    const quote = quoted(
      sentences([
        [0.6, 0.5],
        [0.45, 0.25],
        [0.1, 0],
      ]),
    );
    assert.equal(quote, `${texts[0]} ${texts[1]}`);
  });

  it('leaves a detail that scores far below the best one out', () => {
    assert.equal(
      quoted(
        sentences([
          [0.7, 0.6],
          [0.2, 0],
          [0.1, 0],
        ]),
      ),
      texts[0],
    );
  });

  it('does not join a next sentence that opens on its own subject', () => {
    const own = ['Trump underscored the vastness of the territory.', 'Exports fell last year.'];
    let at = 0;
    const scored = own.map((text, i) => {
      const span = { start: at, end: at + text.length };
      at += text.length + 1;
      const [similarity, weightedOverlap] = i === 0 ? [0.6, 0.5] : [0.45, 0.25];
      return { span, text, similarity, overlap: weightedOverlap, weightedOverlap };
    });
    const span = chooseQuote(scored, options);
    assert.deepEqual(span, scored[0]?.span);
  });
});

describe('calibration per model', () => {
  it('keys by the catalog short name and dtype, else by the folder name', () => {
    assert.equal(calibrationKey('all-MiniLM-L6-v2', 'data/models/minilm', 'int8'), 'all-MiniLM-L6-v2#int8');
    assert.equal(calibrationKey(null, FIXTURE_MODEL, 'fp32'), 'tiny-embedder#fp32');
  });

  it('has a calibration for the shipped default and none for an unknown model', () => {
    assert.ok(findCalibration('all-MiniLM-L6-v2#fp32'));
    assert.equal(findCalibration('no-such-model#fp32'), null);
    assert.ok(FALLBACK_CALIBRATION.minRelevance > 0);
  });
});

describe('question focus and the rare-word test', () => {
  for (const [question, word] of [
    ['What is the population of Russia?', 'population'],
    ["What is Russia's GDP?", 'GDP'],
    ['how many barrels of oil does russia pump per day', 'barrels'],
    ['What did Kremlin spokesman Dmitry Peskov say?', 'Kremlin'],
    ['Which kind of resource got singled out?', 'resource'],
    ['Why did Trump call Putin?', null],
    // The possessor may be a phrase: the thing asked about follows its "'s".
    ["hw many of the periodic table's metals count as rare earths", 'metals'],
    // A class head names what kind of answer is asked for, which the class check weighs.
    ['Which outlet interviewed Trump?', null],
    // A superlative ranks the thing asked about; the thing is the focus.
    ["What's the hottest water I can use?", 'water'],
    ['What is the latest firmware?', 'firmware'],
  ] as const) {
    it(`${question} → ${word}`, () => assert.equal(questionFocus(question)?.word ?? null, word));
  }

  it('abstains when the focus is a rare word the sources never use, not when it is common', () => {
    const pieces: Record<string, number[]> = { lithium: [22157], point: [2391], kremlin: [100, 200] };
    const isRareWord = rareWordTest((w) => pieces[w] ?? [1]);
    assert.equal(isRareWord('lithium'), true);
    assert.equal(isRareWord('point'), false);
    assert.equal(isRareWord('Kremlin'), true, 'a capitalised word the vocabulary splits is a name');
    assert.equal(isRareWord('kremlin'), false, 'a lower-case split word is more often a typo');
    const vocabulary = { knows: (t: string) => t === 'ukrain', isRareWord };
    const best = [scored("Ukraine's rare earth deposits are in the east.", 0.6)];
    for (const [question, answered] of [
      ['Which lithium deposits does Ukraine have?', false],
      ['What is the point of the deal?', true],
    ] as const) {
      assert.equal(
        selectResults(best, prepareQuestion(question), policy, vocabulary).answered,
        answered,
        question,
      );
    }
  });

  it("knows a word of a source's title, which is no passage", () => {
    const question = prepareQuestion('Which Skyforge patch lowered gold drops?');
    const best = [scored('Gold drop rates in the Sunken Catacombs are lowered by about a third.', 0.6)];
    const text = ['Gold drop rates in the Sunken Catacombs are lowered by about a third.'];
    const vocabulary = (lexical: LexicalIndex) => ({
      knows: (t: string) => lexical.knows(t),
      isRareWord: () => true,
    });
    const titled = new LexicalIndex(text, [{ id: 'a.txt', title: 'Skyforge Online — Patch 4.2 notes' }]);
    assert.equal(selectResults(best, question, policy, vocabulary(titled)).answered, true);
    const untitled = new LexicalIndex(text, [{ id: 'a.txt', title: 'Patch notes' }]);
    assert.equal(selectResults(best, question, policy, vocabulary(untitled)).answered, false);
  });

  it("does not ask a passage to name what its source's title names", () => {
    const question = prepareQuestion('How long does it take to install the AquaPure?');
    const text = 'Installation takes about twenty minutes.';
    const best = [scored(text, 0.6)];
    const titled = (title: string) => {
      const lexical = new LexicalIndex([text], [{ id: 'a.txt', title }]);
      return {
        knows: () => true,
        isRareWord: () => false,
        inTitle: (term: string, sourceId: string) => lexical.inTitle(term, sourceId),
      };
    };
    assert.equal(
      selectResults(best, question, policy, titled('AquaPure 300 water filter — manual')).answered,
      true,
    );
    assert.equal(
      selectResults(best, question, policy, titled('ClearFlow 200 water filter — manual')).answered,
      false,
    );
  });

  it('takes a WordNet synonym or nearest broader noun the sources use as known, not a neighbour', () => {
    assert.ok(new WordNetNouns().related('slice').includes('share'));
    // A related noun must be the sources' own word, not one a typo away ("impost" / "imposed").
    const lexical = new LexicalIndex(['Washington has imposed sweeping sanctions.']);
    assert.equal(lexical.knows('impost'), true);
    assert.equal(lexical.knows('impost', true), false);
    const isRareWord = () => true;
    const known = new Set(contentTerms('Russia holds a share of the economic reserves.'));
    const vocabulary = { knows: (t: string) => known.has(t), isRareWord };
    const best = [
      scored('Russia holds over 20% of the world’s reserves, a share of the economic total.', 0.6),
    ];
    // "slice" is a kind of "share" in WordNet; "GDP" is close to "economic" only by embedding.
    const slice = prepareQuestion('what slice of the reserves sits in russia');
    assert.equal(selectResults(best, slice, policy, vocabulary).answered, true);
    const gdp = prepareQuestion("What is Russia's GDP?");
    assert.equal(selectResults(best, gdp, policy, vocabulary).answered, false);
  });

  it('takes a place the sources name otherwise as known ("kyiv" when they write "Kiev")', () => {
    const isRareWord = () => true;
    const best = [scored('Kiev lost most of its rare earth deposits in 2022.', 0.6)];
    const question = 'what was going on with kyiv at the time';
    const knowsKiev = { knows: (t: string) => t === 'kiev', isRareWord };
    assert.equal(selectResults(best, prepareQuestion(question), policy, knowsKiev).answered, true);
    const knowsNeither = { knows: () => false, isRareWord };
    assert.equal(selectResults(best, prepareQuestion(question), policy, knowsNeither).answered, false);
  });
});

describe('people and places the sources never mention', () => {
  const known = new Set(contentTerms('Russia has rare earths; Washington sees the plan as mainstream.'));
  const vocabulary = { knows: (t: string) => known.has(t), isRareWord: () => false };
  const best = [scored('Russia has rare earths, and Washington sees the plan as mainstream.', 0.6)];
  for (const [question, answered] of [
    ['does greenland have rare earths', false],
    ['what does india think of the plan', false],
    ['does russia have rare earths', true],
    // "DC" is the US capital: the sources name it as Washington.
    ['is the plan mainstream in DC', true],
  ] as const) {
    it(`${question} → ${answered ? 'answers' : 'abstains'}`, () => {
      const outcome = selectResults(best, prepareQuestion(question), policy, vocabulary);
      assert.equal(outcome.answered, answered);
      if (!answered) assert.match(outcome.nearest?.check?.reason ?? '', /never mention/);
    });
  }

  it('does not tag a question whose every word the sources use (no name in it can be unknown)', () => {
    // The passage's sentences are tagged (and cached) by a first question; the second is asked
    // nowhere else in this file, so the tag cache cannot answer for it.
    selectResults(best, prepareQuestion('does russia have rare earths'), policy, vocabulary);
    const before = taggedTexts();
    const outcome = selectResults(best, prepareQuestion('So Russia has rare earths?!'), policy, vocabulary);
    assert.equal(outcome.answered, true);
    assert.equal(taggedTexts() - before, 0);
  });
});

describe('who heads it: the sentence that gives a title is in the scope', () => {
  const faq = scoredSentences(
    ['Who runs the club?', 'The club is run by a volunteer committee.', 'Our chairwoman is Priya Natarajan.'],
    1,
  );
  const members = scoredSentences(
    [
      'Who runs the club?',
      'The club is run by a volunteer committee.',
      'Our members include Priya Natarajan.',
    ],
    1,
  );
  for (const [question, best, answered] of [
    ['Who heads the club?', faq, true],
    ['Who is the chair of the club?', faq, true],
    ['Who heads the club?', members, false],
  ] as const) {
    it(`${question} → ${answered ? 'answers' : 'abstains'}`, () => {
      const outcome = selectResults([best], prepareQuestion(question), policy, everyWord);
      assert.equal(outcome.answered, answered, outcome.nearest?.check?.reason);
    });
  }
});

describe('names the sources write otherwise, and common nouns tagged as places', () => {
  it('names an entity by a spelling a letter away, as the index knows it', () => {
    const text = 'Most deposits lie in the Lugansk region.';
    assert.equal(namesEntity(text, { text: 'Luhansk', term: 'luhansk' }), true);
    assert.equal(namesEntity(text, { text: 'Donetsk', term: 'donetsk' }), false);
    // Short names are not matched a letter away ("Iran" / "Iraq").
    assert.equal(namesEntity('Sanctions on Iraq.', { text: 'Iran', term: 'iran' }), false);
  });

  const text = 'In June, Polish President Ivan Kovalenko visited the Lviv office of the co-operative.';
  const known = new Set(contentTerms(text));
  // Every word is rare here, so a first name the sources never use is a rare focus.
  const vocabulary = { knows: (t: string) => known.has(t), isRareWord: () => true };
  const best = [scored(text, 0.6)];
  for (const [question, answered] of [
    // The first name written otherwise ("John" for "Ivan"); the surname is the sources'.
    ['What did John Kovalenko do in June?', true],
    ['What did John Smith do in June?', false],
    // Rare or not, a first name is no unknown focus when the surname is known.
    ['What did Volodymyr Kovalenko do in June?', true],
    // compromise tags "state" a place, but it names none.
    ['who runs the Polish state?', true],
  ] as const) {
    it(`${question} → ${answered ? 'answers' : 'abstains'}`, () => {
      const outcome = selectResults(best, prepareQuestion(question), policy, vocabulary);
      assert.equal(outcome.answered, answered, outcome.nearest?.check?.reason);
    });
  }
});

/** A passage of several sentences whose key sentence is the one at `key`. */
function scoredSentences(sentences: string[], key: number, relevance = 0.6): ScoredPassage {
  const text = sentences.join(' ');
  const p = passage(text);
  let at = p.start;
  p.sentences = sentences.map((s) => {
    const span = { start: at, end: at + s.length };
    at += s.length + 1;
    return span;
  });
  const quote = p.sentences[key] ?? { start: p.start, end: p.end };
  return { passage: p, relevance, dense: relevance, lexical: 0, quote: { ...quote } };
}

describe('expected answer (question classes)', () => {
  it('classifies by the first wh-word and its head noun', () => {
    const cases: [string, string][] = [
      // Heading an organisation is something a person does.
      ["Who heads Russia's Federal Agency for Mineral Resources?", 'person'],
      // "How much X … cost" with X a unit of its own asks for an amount of X, not money.
      ['How much mana do fire spells cost?', 'quantity'],
      ['How much does the sword cost?', 'money'],
      ['How much money does the sword cost?', 'money'],
      ['who is the head of the agency', 'person'],
      ['Who provided the reserve figures?', 'agent'],
      // "Name / list the X" asks "which X".
      ['name the western companies that want to mine rare earths in russia', 'organisation'],
      ['pls list the countries that oppose the deal', 'place'],
      ['name the strategic metals mentioned pls', 'other'],
      // "What time" asks for a clock time, unless it is a time zone or a period.
      ['what time of day was the trump putin phone call', 'time'],
      ['what time zone is Moscow in', 'other'],
      // Chat spellings, and a share asked after "what is X's".
      ["whats russia's share of world nickel output", 'percentage'],
      ["What is the US's share of rare earth processing?", 'percentage'],
      ['wen did the referendums happen', 'date'],
      ['wat month did zelenskyy fly to DC', 'date'],
      // How much is known is no amount.
      ['how much detail do we have about this shift?', 'other'],
      ['how much military aid has the US sent?', 'quantity'],
      ["Which journalist conducted Trump's Breitbart interview?", 'person'],
      ['Which company will develop the deposits?', 'organisation'],
      ['Where did Zelensky go in February?', 'place'],
      ['How long did the phone call last?', 'duration'],
      ['How much did the deal cost?', 'money'],
      ['What share of production does China have?', 'percentage'],
      ['How far is the Moon from Earth?', 'quantity'],
      ["What's the name of Russia's largest mine?", 'name'],
      ['What did Biden say about rare earths?', 'statement'],
      ['When did Trump talk to Putin?', 'date'],
      // "when" in a subordinate clause does not make it a date question.
      ["What deal was still unresolved when Trump talked up Russia's resources?", 'other'],
      ['Why are rare earths important?', 'other'],
      // A yes/no question: the wh-word heads a subordinate clause.
      ['was the minerals deal even finished when trump started talking up russia', 'other'],
      ['@Quarry is russia just too big to ignore when it comes to raw materials', 'other'],
      ['<@123> so did he say where the reserves are?', 'other'],
      // An auxiliary after "what" is not a head noun.
      ['what are people starting to realise about russia', 'other'],
      ['which Russian company will develop the deposits?', 'organisation'],
      // "Where … come from" asks for a source, not a place.
      ['where does the 20 percent figure come from', 'agent'],
      ['the call with putin, what day was that', 'date'],
    ];
    for (const [question, type] of cases) assert.equal(expectedAnswer(question), type, question);
  });

  it('wants an entity the question does not name already', () => {
    const agency = "Who heads Russia's Federal Agency for Mineral Resources?";
    assert.equal(
      holdsAnswer(
        'According to Russia’s Federal Agency for Mineral Resources, the country possesses over 20% of the reserves.',
        'agent',
        agency,
      ),
      false,
    );
    assert.equal(holdsAnswer('The agency is headed by Evgeny Petrov, a geologist.', 'agent', agency), true);
    const journalist = "Which journalist conducted Trump's Breitbart interview?";
    assert.equal(
      holdsAnswer(
        'In a recent interview with Breitbart, Trump cited Russia’s landmass.',
        'person',
        journalist,
      ),
      false,
    );
    assert.equal(holdsAnswer('The interview was conducted by Matthew Boyle.', 'person', journalist), true);
  });

  it('tells numbers, durations, money and reported speech apart', () => {
    const q = 'How much uranium does the US buy from Russia?';
    assert.equal(holdsAnswer('Russia is one of the largest producers of uranium.', 'quantity', q), false);
    assert.equal(holdsAnswer('They have 11 time zones.', 'quantity', 'How many time zones?'), true);
    const call = 'How long did the March 18 phone call last?';
    assert.equal(
      holdsAnswer('The remarks followed a phone conversation on March 18.', 'duration', call),
      false,
    );
    assert.equal(holdsAnswer('The call lasted two hours.', 'duration', call), true);
    assert.equal(
      holdsAnswer('The aid ran to tens of billions of dollars.', 'money', 'How much did it cost?'),
      true,
    );
    assert.equal(holdsAnswer('The aid continued.', 'money', 'How much did it cost?'), false);
    const said = 'What did Biden say about rare earths?';
    assert.equal(
      holdsAnswer('The Biden administration’s strategy appears unfeasible.', 'statement', said),
      false,
    );
    assert.equal(holdsAnswer('“They have very valuable earth,” he said.', 'statement', said), true);
    // Reporting verbs other than "say": what a spokesman relayed, indicated or warned is what was said.
    const office = 'What did the mayor’s office say about the closure?';
    assert.equal(
      holdsAnswer(
        'The closure, as relayed by the mayor’s office, indicated a longer repair.',
        'statement',
        office,
      ),
      true,
    );
    assert.equal(holdsAnswer('The office warned of delays.', 'statement', office), true);
    assert.equal(holdsAnswer('The office is closed on Mondays.', 'statement', office), false);
  });

  it('wants a date the question does not give already, and a clock time for "what time"', () => {
    const day = 'what day in february did zelensky visit the white house';
    assert.equal(holdsAnswer('In February, Zelensky visited Washington.', 'date', day), false);
    assert.equal(holdsAnswer('On February 28, Zelensky visited Washington.', 'date', day), true);
    assert.equal(
      holdsAnswer('The call took place on March 18.', 'date', 'what day in march did they chat'),
      true,
    );
    const time = 'what time of day was the phone call';
    assert.equal(holdsAnswer('The call took place on March 18.', 'time', time), false);
    assert.equal(holdsAnswer('The call took place at 10 am on March 18.', 'time', time), true);
  });

  it('wants the period an amount is asked per or over', () => {
    const share = 'China controls nearly 70% of global rare earth production.';
    const exported = 'How much did China export in rare earths last year?';
    assert.equal(holdsAnswer(share, 'quantity', exported), false);
    assert.equal(
      holdsAnswer('In 2025 China exported 55,000 tonnes of rare earths.', 'quantity', exported),
      true,
    );
    const pumped = 'how many barrels of oil does russia pump per day';
    assert.equal(holdsAnswer('Russia holds 80 billion barrels of oil.', 'quantity', pumped), false);
    assert.equal(holdsAnswer('Russia pumps 10 million barrels a day.', 'quantity', pumped), true);
    // A share is no rate: it answers whatever period the question puts it in.
    // A street address answers "where".
    const where = 'Where is the workshop in Leeds?';
    assert.equal(holdsAnswer('The workshop is at Unit 4, Canal Street, Leeds.', 'place', where), true);
    assert.equal(holdsAnswer('The workshop is in Leeds, and opens at ten.', 'place', where), false);
    // So does where a thing goes, said by a preposition that only places ("under", "at the door").
    const fit = 'Where do I fit the filter?';
    assert.equal(holdsAnswer('Fit the filter under the sink.', 'place', fit), true);
    assert.equal(
      holdsAnswer('Guests sign the register at the door.', 'place', 'Where do guests sign in?'),
      true,
    );
    assert.equal(holdsAnswer('Fit the filter in a few minutes.', 'place', fit), false);
    // A span of time answers "how long"; a multiple answers "how much".
    const hold = 'How long should I hold the reset button?';
    assert.equal(holdsAnswer('Hold the reset button for 5 seconds.', 'duration', hold), true);
    assert.equal(holdsAnswer('Hold the reset button until the light blinks.', 'duration', hold), false);
    const xp = 'How much XP do players earn during the festival?';
    assert.equal(holdsAnswer('During the festival, players earn double XP.', 'quantity', xp), true);
    assert.equal(holdsAnswer('During the festival, players earn XP.', 'quantity', xp), false);
    const yearly = 'What share of the market does Acme hold each year?';
    assert.equal(holdsAnswer('Acme holds about 40% of the market.', 'percentage', yearly), true);
    assert.equal(holdsAnswer('Acme sells 40 machines a week.', 'percentage', yearly), false);
  });

  it('takes a size word as the answer to a size question, unless it asks in units', () => {
    const land = 'They have the largest piece of land by far, bigger than China.';
    assert.equal(holdsAnswer(land, 'quantity', "How big is Russia's territory compared to China?"), true);
    assert.equal(
      holdsAnswer('Both leaders expect “enormous economic deals”.', 'quantity', 'HOW BIG WERE THE DEALS'),
      true,
    );
    assert.equal(holdsAnswer(land, 'quantity', 'How big is Russia in square kilometers?'), false);
    assert.equal(holdsAnswer(land, 'quantity', 'How far is the Moon from Earth?'), false);
  });

  it('takes a country named by its demonym or capital as a place', () => {
    const offset = "which country's dominance were ukrainian minerals meant to offset?";
    const counterweight =
      'Ukrainian resources were meant as a counterweight to Chinese dominance in rare earths.';
    assert.equal(holdsAnswer(counterweight, 'place', offset), true);
    assert.equal(holdsAnswer('Ukrainian resources were meant as a counterweight.', 'place', offset), false);
  });

  it('finds the named things a question asks about', () => {
    const terms = questionEntities('What did Zelensky tell reporters after leaving the White House?').map(
      (e) => e.term,
    );
    assert.ok(terms.includes('zelenski'), terms.join());
    assert.equal(
      questionEntities('HOW MANY TIME ZONES DOES RUSSIA HAVE').some((e) => e.term === 'time'),
      false,
    );
    assert.equal(sameName('russia', 'russian'), true);
    assert.equal(sameName('china', 'chines'), true);
    assert.equal(sameName('us', 'usa'), false);
  });
});

describe('numbers the question gives', () => {
  it('abstains when the answering sentence does not say the year or amount the question gives', () => {
    const question = prepareQuestion('how much did the US spend on ukraine aid in 2024 alone');
    const since = scored('The US has spent tens of billions of dollars on aid to Ukraine since 2022.', 0.6);
    const outcome = selectResults([since], question, policy, everyWord);
    assert.equal(outcome.answered, false);
    assert.match(outcome.nearest?.check?.reason ?? '', /2024/);
    const in2024 = scored('In 2024 the US spent $60 billion on aid to Ukraine.', 0.6);
    assert.equal(selectResults([in2024], question, policy, everyWord).answered, true);
    assert.equal(missingNumber('where does the 20 percent figure come from', 'over 20% of reserves'), null);
    assert.equal(missingNumber('who had 1,200 troops', 'They had 1200 troops.'), null);
  });

  it('takes a number the text spells out, a short year or a numeric date as said', () => {
    assert.equal(missingNumber('Can I bring 3 guests?', 'Each member may bring up to three guests.'), null);
    assert.equal(missingNumber('does it cost 25 gold', 'It costs twenty-five gold.'), null);
    assert.equal(missingNumber('does it cost 24 gold', 'It costs twenty-five gold.'), '24');
    assert.equal(
      missingNumber("what has the club spent since '19", 'Since 2019 the club has spent £300.'),
      null,
    );
    assert.equal(
      missingNumber("what has the club spent since '18", 'Since 2019 the club has spent £300.'),
      '18',
    );
    assert.equal(missingNumber('what was agreed on 3/18', 'On March 18 the two sides agreed a truce.'), null);
    assert.equal(missingNumber('what was agreed on 18/3', 'On March 18 the two sides agreed a truce.'), null);
    assert.equal(missingNumber('what was agreed on 3/19', 'On March 18 the two sides agreed a truce.'), '3');
    // A question's own "one of" gives no number the text must say.
    assert.equal(missingNumber('is it one of the 5 biggest', 'It is among the 5 biggest.'), null);
  });
});

describe('answer check in the key sentence', () => {
  const quoteCheck = {
    ...policy,
    minRelevance: 0.2,
    answerCheck: { ...ANSWER_CHECK, typeMargin: 0, answerScope: 'quote' as const },
  };

  it('abstains when the key sentence names no one new for a "who" question', () => {
    const best = scoredSentences(
      [
        'According to Russia’s Federal Agency for Mineral Resources, the country possesses over 20% of REE reserves.',
      ],
      0,
    );
    const outcome = selectResults(
      [best],
      prepareQuestion("Who heads Russia's Federal Agency for Mineral Resources?"),
      quoteCheck,
      everyWord,
    );
    assert.equal(outcome.answered, false);
    assert.match(outcome.nearest?.check?.reason ?? '', /person/);
  });

  it('abstains on "How far is the Moon from Earth?" when the key sentence only says "by far"', () => {
    const best = scoredSentences(
      ['They have the largest piece of land by far, bigger than China.', 'They have 11 time zones.'],
      0,
      0.36,
    );
    const question = prepareQuestion('How far is the Moon from Earth?');
    assert.equal(selectResults([best], question, quoteCheck, everyWord).answered, false);
    // The whole passage has a number: checked there (classes only), the question would be answered.
    const passageCheck = {
      ...quoteCheck,
      answerCheck: { typeMargin: 0, focusCheck: true, answerScope: 'passage' as const },
    };
    assert.equal(selectResults([best], question, passageCheck, everyWord).answered, true);
  });

  it('the shipped check also reads a neighbouring sentence that shares a word with the question', () => {
    const shipped = { ...quoteCheck, answerCheck: ANSWER_CHECK };
    const deposits = scoredSentences(
      [
        'Ukraine’s rare earth deposits are concentrated in the eastern regions.',
        'These territories hold an estimated 70% of Ukraine’s rare earth reserves.',
      ],
      0,
    );
    const share = prepareQuestion("What share of Ukraine's deposits lies in the eastern regions?");
    assert.equal(selectResults([deposits], share, shipped, everyWord).answered, true);
    assert.equal(selectResults([deposits], share, quoteCheck, everyWord).answered, false);
    // "They have 11 time zones." shares no word with the question: its number answers nothing.
    const land = scoredSentences(
      ['They have the largest piece of land by far, bigger than China.', 'They have 11 time zones.'],
      0,
      0.36,
    );
    assert.equal(
      selectResults([land], prepareQuestion('How far is the Moon from Earth?'), shipped, everyWord).answered,
      false,
    );
  });

  it('finds the answer span in the key sentence for the reply to mark', () => {
    const best = scoredSentences(['Russia is vast.', 'They have 11 time zones.'], 1);
    const outcome = selectResults(
      [best],
      prepareQuestion('How many time zones does Russia have?'),
      policy,
      everyWord,
    );
    const span = outcome.results[0]?.check?.span;
    assert.ok(span, 'a span');
    assert.equal(
      best.passage.text.slice(span.start - best.passage.start, span.end - best.passage.start),
      '11',
    );
    const who = 'The remarks followed a call between Trump and Russian President Vladimir Putin.';
    const found = answerSpan(who, 'agent', 'Who did Trump talk to?');
    assert.equal(found && who.slice(found.start, found.end), 'Russian President Vladimir Putin');
    assert.equal(answerSpan(who, 'other', 'Why did they talk?'), null);
  });

  it('answers when the key sentence holds the answer', () => {
    const best = scoredSentences(
      ['Trump spoke on the phone.', 'He talked to Russian President Vladimir Putin.'],
      1,
    );
    const outcome = selectResults(
      [best],
      prepareQuestion('Who did Trump talk to on the phone?'),
      quoteCheck,
      everyWord,
    );
    assert.equal(outcome.answered, true);
  });

  it('with grounding, abstains when the passage never names the asked-about person', () => {
    const best = scoredSentences(['The conversation went well, the White House said.'], 0);
    const question = prepareQuestion('What did Zelensky tell reporters after leaving the White House?');
    const grounded = {
      ...quoteCheck,
      answerCheck: { ...quoteCheck.answerCheck, groundingScope: 'passage' as const },
    };
    const outcome = selectResults([best], question, grounded, everyWord);
    assert.equal(outcome.answered, false);
    assert.match(outcome.nearest?.check?.reason ?? '', /Zelensky/);
    const named = scoredSentences(['Zelensky said the White House meeting went well.'], 0);
    assert.equal(selectResults([named], question, grounded, everyWord).answered, true);
  });
});

describe('related or answers it: the focus, the subject and the kind of organisation', () => {
  const shipped = { ...policy, minRelevance: 0.2, answerCheck: ANSWER_CHECK };
  const ask = (question: string, sentences: string[], key = 0) =>
    selectResults([scoredSentences(sentences, key)], prepareQuestion(question), shipped, everyWord);

  it('abstains when the attribute asked for is not said where the answer is', () => {
    const reserves = ["Norway's petroleum directorate says the country holds 40% of Europe's gas reserves."];
    const refused = ask('What is the population of Norway?', reserves);
    assert.equal(refused.answered, false);
    assert.match(refused.nearest?.check?.reason ?? '', /popul/);
    assert.equal(
      ask('What is the population of Norway?', ['Norway has a population of 5.5 million.']).answered,
      true,
    );
  });

  it('abstains when the thing counted is not the one the passage counts', () => {
    assert.equal(ask('How many bridges does the city have?', ['The city has 12 museums.']).answered, false);
    assert.equal(ask('How many museums does the city have?', ['The city has 12 museums.']).answered, true);
    // Typed the way members type: a compound written as one word, a mistyped auxiliary.
    assert.equal(
      ask('how many timezones dose the country hav', ['The country spans 11 time zones.']).answered,
      true,
    );
  });

  it('takes an amount in a unit of measure for "how much X", unless the unit measures something else', () => {
    const water = 'How much water does the filter clean per minute?';
    assert.equal(ask(water, ['The filter cleans up to 2 litres per minute.']).answered, true);
    assert.equal(ask(water, ['The filter cleans up to 2 litres of oil per minute.']).answered, false);
    assert.equal(ask(water, ['The filter cleans up to 20 cups per minute.']).answered, true);
    assert.equal(
      ask('How much water does the filter hold?', ['The filter holds 3 cartridges.']).answered,
      false,
    );
  });

  it('abstains when the speaker or the role asked about is someone else', () => {
    const minister = ['The talks went well, the minister said.'];
    assert.equal(ask('What did the trade envoy say about the talks?', minister).answered, false);
    assert.equal(ask('What did the minister say about the talks?', minister).answered, true);
    const premier = ['Prime Minister Jonas Berg opened the session.'];
    assert.equal(ask('Who is the finance minister?', premier).answered, false);
    assert.equal(
      ask('Who is the finance minister?', ['Anna Lie, the finance minister, presented the budget.']).answered,
      true,
    );
  });

  it('abstains when the country asked about is only the foil of a comparison', () => {
    const moons = ['Jupiter is bigger than Saturn.', 'It has 95 moons.'];
    const refused = ask('How many moons does Saturn have?', moons, 1);
    assert.equal(refused.answered, false);
    assert.match(refused.nearest?.check?.reason ?? '', /Saturn/);
    // "It" is the passage's subject, Jupiter, named in the sentence before.
    assert.equal(ask('How many moons does Jupiter have?', moons, 1).answered, true);
  });

  it('names a country by its capital or a short form, in any case, but "us" only as "US"', () => {
    const exports = ['Russia exported 200 billion cubic metres of gas in 2020.'];
    assert.equal(ask('How much gas did Moscow export in 2020?', exports).answered, true);
    const refused = ask('how much gas did china export in 2020?', exports);
    assert.equal(refused.answered, false);
    assert.match(refused.nearest?.check?.reason ?? '', /China/);
    assert.equal(ask('How much gas did the US export in 2020?', exports).answered, false);
    assert.equal(
      ask('How much gas did Washington export?', ['The US exported 100 bcm of gas.']).answered,
      true,
    );
  });

  it('a question about the future is not answered by a past date', () => {
    assert.equal(ask('When will the bridge reopen?', ['The bridge closed in 2019.']).answered, false);
    assert.equal(ask('When will the bridge reopen?', ['The bridge will reopen in May 2026.']).answered, true);
    assert.equal(ask('When did the bridge close?', ['The bridge closed in 2019.']).answered, true);
  });

  it('a government body answers "which agency", not "which company"', () => {
    const port = ['The Federal Maritime Agency for Ports approved plans for the new port.'];
    assert.equal(ask('Which company will build the new port?', port).answered, false);
    // "Agency" is the class asked for, not a name the question already gives.
    assert.equal(ask('Which agency approved the plans for the new port?', port).answered, true);
    assert.equal(
      ask('Which company will build the new port?', ['Acme Corporation will build the new port.']).answered,
      true,
    );
  });
});

describe('focus terms', () => {
  it('finds what is counted, the attribute, the speaker and the role — or nothing', () => {
    const cases: [string, string[]][] = [
      ['How many time zones does China have?', ['time', 'zone']],
      ['What is the population of Russia?', ['popul']],
      ["What's the name of Russia's largest rare earth mine?", ['largest', 'rare', 'earth', 'mine']],
      ['What did the US envoy say after meeting Putin?', ['envoi']],
      ["who is russia's minister of natural resources", ['minist']],
      ['how many timezones dose russia hav', ['timezon']],
      ['How much military aid has the administration sent?', ['militari', 'aid']],
      // "per" ends the phrase like any preposition: the rate is weighed by the class check.
      ['How many litres per min does it filter?', ['litr']],
      // A description, the source itself, a share (paraphrased too often): no focus.
      ['What was the point of the rare earths deal?', []],
      ['What did the article say about Japan?', []],
      ["What share of Ukraine's deposits lies in the east?", []],
      ['who was in charge before trump', []],
      // An -ing noun before a noun belongs to the phrase; a participle ends it.
      ['how many rare earth processing plants does russia have', ['rare', 'earth', 'process', 'plant']],
      ['who was the president chatting with when he called', ['presid']],
    ];
    for (const [question, terms] of cases) assert.deepEqual(focusTerms(question), terms, question);
  });

  it('finds the quality a "the most X" question ranks by, and wants it said', () => {
    assert.deepEqual(superlativeTerms('which rare earth element is the most valuable'), ['valuabl']);
    assert.deepEqual(superlativeTerms('WHO CONTROLS MOST RARE EARTH PROCESSING'), []);
    assert.deepEqual(superlativeTerms('which party is the loudest against the deal'), []);
    const question = prepareQuestion('which rare earth element is the most valuable');
    const group = scored(
      'Rare earth elements, a group of 17 metals, are among the most important resources.',
      0.6,
    );
    const outcome = selectResults([group], question, policy, everyWord);
    assert.equal(outcome.answered, false);
    assert.match(outcome.nearest?.check?.reason ?? '', /valuabl/);
    const priced = scored('Of the rare earth elements, dysprosium is the most valuable.', 0.6);
    assert.equal(selectResults([priced], question, policy, everyWord).answered, true);
  });

  it('accepts the same stem, a demonym, one typo and a compound written as one word', () => {
    assert.equal(groundsFocus('They have 11 time zones.', ['timezon']), true);
    assert.equal(groundsFocus('Rare earth elements, a group of 17 metallic elements.', ['elemnt']), true);
    assert.equal(groundsFocus('The Russian population is shrinking.', ['russia', 'popul']), true);
    assert.equal(groundsFocus('The country holds 20% of the reserves.', ['popul']), false);
  });
});

describe('gatherCandidates: the expanded query reuses the dense side of the plain one', () => {
  it('searches the vectors once and gives the same cosines for both queries', () => {
    const texts = ['Russia has oil and gas.', 'Kiev is the capital of Ukraine.'];
    const passages = texts.map((text, label) => ({ ...passage(text), sentenceRow: label }));
    const vectorOf = [new Float32Array([1, 0]), new Float32Array([0, 1])];
    let searches = 0;
    const index = {
      passages,
      sentenceVectors: new Float32Array([1, 0, 0, 1]),
      lexical: new LexicalIndex(texts),
      vectors: {
        search: () => {
          searches++;
          return [{ label: 0, similarity: 0.8 }];
        },
        similarityTo: (label: number, v: Float32Array) =>
          (vectorOf[label]?.[0] ?? 0) * (v[0] ?? 0) + (vectorOf[label]?.[1] ?? 0) * (v[1] ?? 0),
      },
    };
    const query = new Float32Array([0.6, 0.8]);
    const dense = denseScores();
    const plain = gatherCandidates(index, prepareQuestion('oil in kyiv'), query, 'hybrid', 50, dense);
    const expanded = gatherCandidates(index, prepareQuestion('oil in kyiv kiev'), query, 'hybrid', 50, dense);
    assert.equal(searches, 1);
    const fresh = gatherCandidates(index, prepareQuestion('oil in kyiv kiev'), query, 'hybrid', 50);
    const scores = (cs: typeof plain) =>
      cs.map((c) => [c.passage.id, c.passageCosine, c.sentences.map((s) => s.similarity)]);
    assert.deepEqual(scores(expanded), scores(fresh));
    assert.ok(expanded.length > plain.length, 'the expansion adds the Kiev passage');
  });
});

describe('LexicalIndex: typo neighbours found once per word', () => {
  const texts = [
    'Rare earth elements are mined in Russia.',
    'The elements of the deal were never published.',
  ];

  it('walks the tree once for a word queried twice, with the same hits as a fresh index', () => {
    type FuzzyGet = (this: unknown, term: string, distance: number) => Map<string, unknown>;
    const probe = new LexicalIndex(texts) as unknown as { search: { _index: object } };
    const prototype = Object.getPrototypeOf(probe.search._index) as { fuzzyGet: FuzzyGet };
    const inner = prototype.fuzzyGet;
    let walks = 0;
    prototype.fuzzyGet = function (term, distance) {
      walks++;
      return inner.call(this, term, distance);
    };
    let first: readonly LexicalHit[];
    let second: readonly LexicalHit[];
    try {
      const lexical = new LexicalIndex(texts);
      first = lexical.query('elemnts published', 10);
      const walked = walks;
      second = lexical.query('which elemnts', 10);
      assert.equal(walks, walked, 'the second query found "elemnts" without walking the tree');
    } finally {
      prototype.fuzzyGet = inner;
    }
    assert.deepEqual(first, new LexicalIndex(texts).query('elemnts published', 10));
    assert.deepEqual(second, new LexicalIndex(texts).query('which elemnts', 10));
    assert.ok(first.length > 0);
  });

  it('answers a query asked again from the hits it kept, the same as a fresh index', () => {
    const lexical = new LexicalIndex(texts);
    const hits = lexical.query('rare elements', 10);
    assert.equal(lexical.query('rare elements', 10), hits);
    assert.deepEqual(hits, new LexicalIndex(texts).query('rare elements', 10));
    assert.notEqual(lexical.query('rare elements', 1), hits);
  });
});
