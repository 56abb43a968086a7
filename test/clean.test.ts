import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { normaliseQuestion } from '../src/quarry.ts';
import { boilerplateRule, cleanText } from '../src/text/clean.ts';
import { htmlToText } from '../src/text/html.ts';
import { ARTICLE_PATH } from './helpers.ts';

describe('boilerplate rules', () => {
  const boilerplate = [
    'The post Ten Ways to Cook Rice appeared first on Kitchen Daily.',
    '[Read More]',
    '[…]',
    'Continue reading →',
    'Comments are closed.',
    'Comments are disabled. Please check back later.',
    'Source: The Morning Gazette :: Opinion',
    'Photo credit: Jane Doe / Agency',
    'Via: Example Wire',
    'Please follow Kitchen Daily on Google News',
    'Follow us on Twitter',
    'Subscribe to our newsletter',
    '—–',
    '42',
    '* * *',
    ' ',
  ];
  for (const line of boilerplate) {
    it(`removes ${JSON.stringify(line)}`, () => assert.notEqual(boilerplateRule(line), null));
  }

  const content = [
    'The source of the river lies in the mountains.',
    'Follow the money, the investigators said, and you will find the culprit in the accounts.',
    'Comments from the minister were closed to the press, but a transcript leaked.',
    'Russia has 11 time zones.',
    'In 2022 the share rose to 70%.',
  ];
  for (const line of content) {
    it(`keeps ${JSON.stringify(line)}`, () => assert.equal(boilerplateRule(line), null));
  }
});

describe('cleanText', () => {
  it('removes a feed trailer but keeps every body paragraph verbatim', () => {
    const raw = [
      'A Title Without Full Stop',
      '',
      'First paragraph. It has two sentences.',
      '',
      'Second paragraph\u200b with a zero-width space.',
      '',
      'Please follow Example on Google News Channel',
      '',
      'The post A Title Without Full Stop appeared first on EXAMPLE.',
      '',
      '[Read More]',
      '',
      '—–',
      'Source: Example :: Writings',
      '',
      '\u00a0',
      '',
      'Comments are closed. Please check back later.',
      '1',
    ].join('\r\n');
    const cleaned = cleanText(raw, { titleFromFirstLine: true });
    assert.equal(cleaned.title, 'A Title Without Full Stop');
    assert.deepEqual(
      cleaned.paragraphs.map((p) => cleaned.text.slice(p.start, p.end)),
      [
        'A Title Without Full Stop',
        'First paragraph. It has two sentences.',
        'Second paragraph with a zero-width space.',
      ],
    );
    assert.deepEqual(
      cleaned.paragraphs.map((p) => p.heading),
      [true, false, false],
    );
    assert.equal(cleaned.removedLines.length, 7);
  });

  it('takes a markdown heading as the title', () => {
    const cleaned = cleanText(
      '# Guide to Widgets\n\nWidgets are small.\n\n## Sizes\n\nThey come in three sizes.',
    );
    assert.equal(cleaned.title, 'Guide to Widgets');
    assert.deepEqual(
      cleaned.paragraphs.map((p) => p.heading),
      [true, false, true, false],
    );
  });

  it('leaves no trailer line of the real article', () => {
    const cleaned = cleanText(readFileSync(ARTICLE_PATH, 'utf8'), { titleFromFirstLine: true });
    for (const marker of [
      'Google News',
      'appeared first on',
      '[Read More]',
      'Weekly Blitz',
      'Comments are closed',
    ]) {
      assert.ok(!cleaned.text.includes(marker), `cleaned text still contains ${marker}`);
    }
    assert.ok(cleaned.text.endsWith('the outcome of the next US presidential election.'));
    assert.ok(cleaned.text.includes('They have 11 time zones.'));
    assert.match(cleaned.title ?? '', /^Trump eyes Russia/);
  });
});

describe('htmlToText', () => {
  it('keeps article text and drops scripts, navigation and footers', () => {
    const html = `<!doctype html><html><head><title>Widgets &amp; Gadgets</title><style>p{color:red}</style></head>
      <body><nav><a href="/">Home</a></nav><header>Site header</header>
      <article><h1>All about widgets</h1><p>Widgets are <b>small</b>&nbsp;tools.</p><p>They cost &#36;5 &mdash; cheap.</p>
      <script>alert("x")</script></article><footer>© 2024 Widgets Inc</footer></body></html>`;
    const { title, text } = htmlToText(html);
    assert.equal(title, 'Widgets & Gadgets');
    assert.equal(text, '# All about widgets\n\nWidgets are small tools.\n\nThey cost $5 — cheap.');
  });
});

describe('htmlToText with a real parser (issue 11, item 10)', () => {
  it('an attribute containing ">" does not leak markup into the text', () => {
    const { text } = htmlToText('<p title="a > b" data-x=\'c > d\'>Widgets are small.</p>');
    assert.equal(text, 'Widgets are small.');
  });

  it('an unterminated <script> or <!-- is not text', () => {
    assert.equal(
      htmlToText('<p>Widgets are small.</p><script>var secret = "token";').text,
      'Widgets are small.',
    );
    assert.equal(
      htmlToText('<p>Widgets are small.</p><!-- draft: never publish this').text,
      'Widgets are small.',
    );
    assert.equal(htmlToText('<p>Widgets are small.</p><style>p { color: red }').text, 'Widgets are small.');
  });

  it('decodes the full entity table, in text and in the title', () => {
    const { title, text } = htmlToText(
      '<title>Caf&eacute; &amp; Cr&egrave;me</title><p>Caf&eacute; &hearts; &frac12; price &euro;5 &#x2013; &#8220;fresh&#8221;</p>',
    );
    assert.equal(title, 'Café & Crème');
    assert.equal(text, 'Café ♥ ½ price €5 – “fresh”');
  });
});

describe('item 12 of issue 11: bidirectional controls and code fences', () => {
  it('strips bidirectional controls (U+202E and friends) from questions and sources', () => {
    assert.equal(
      normaliseQuestion('How many \u202Esenoz emit\u202C time zones?'),
      'How many senoz emit time zones?',
    );
    assert.equal(normaliseQuestion('\u2067Russia\u2069 \u200Fzones\u200E?'), 'Russia zones ?');
    const cleaned = cleanText('Title line\n\nThe \u202Efile.exe\u202C is safe \u2066here\u2069.');
    assert.doesNotMatch(cleaned.text, /[\u202a-\u202e\u2066-\u2069\u200e\u200f]/u);
    assert.match(cleaned.text, /The file\.exe is safe here\./);
  });

  it('keeps a lone ``` line, so a code block in a passage stays balanced', () => {
    const cleaned = cleanText('Setup notes\n\nRun this:\n```\nnpm install\n```\n\nThen start it.');
    assert.match(cleaned.text, /Run this:\n```\nnpm install\n```/);
    assert.equal((cleaned.text.match(/```/g) ?? []).length, 2);
    assert.ok(!cleaned.removedLines.includes('```'));
  });
});
