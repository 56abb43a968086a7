/**
 * Hostile input and load through the real bot and discord.js, against the local stand-in of
 * Discord: clear messages instead of crashes, nobody pinged, nothing lost.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { syntheticCorpus } from '../bench/ingest.ts';
import { Cooldowns } from '../src/bot/cooldowns.ts';
import { LIMITS } from '../src/bot/format.ts';
import { setLogSink } from '../src/log.ts';
import { isFinalReply, messageBody, messageText, startTestBot, type TestBot } from './bot-harness.ts';
import { OWNER_ID, SHARED_OPTION, type StandIn } from './discord-stand-in.ts';
import { ARTICLE_ID, ARTICLE_PATH, tempDir, testConfig } from './helpers.ts';

const restoreSink = setLogSink(() => {});
after(() => setLogSink(restoreSink));

// The article is a shared source: only a bot owner reloads it (moderators reload their server's).
const owner = { id: OWNER_ID };

describe('bot under hostile input and load', () => {
  let harness: TestBot;
  let discord: StandIn;
  let sourcesDir: string;

  before(async () => {
    // A URL source that cannot be fetched (nothing listens on port 1): reloads must report it.
    const urlList = join(tempDir(), 'url-sources.json');
    writeFileSync(
      urlList,
      JSON.stringify({ urls: ['http://127.0.0.1:1/gone.html'], allowHosts: ['127.0.0.1'] }),
    );
    harness = await startTestBot({
      config: testConfig({ URL_SOURCES_FILE: urlList }),
      token: 'MTAw.hardening.token-hhhhhhhhhhhhhhhhhhhhhhh',
      extraSources: {
        'injection.md':
          '# Notices\n\nThe harbour master told @here and <@123456789012345678> to read ```rm -rf``` and [the rules](https://evil.example) before the regatta.\n',
      },
    });
    discord = harness.discord;
    sourcesDir = harness.config.sourcesDir;
  });

  after(async () => {
    await harness?.stop();
  });

  const ask = async (question: string) => {
    const interaction = discord.dispatchInteraction({
      name: 'ask',
      options: [{ name: 'question', type: 3, value: question }],
    });
    return discord.waitFor(interaction, isFinalReply, 30000);
  };

  it('identifies with the Guilds intent only (no privileged intents)', () => {
    assert.equal(discord.identifyIntents, 1);
  });

  const refused: [string, string, RegExp][] = [
    ['an empty question', '   ', /ask: the question is empty/],
    ['only zero-width and control characters', '\u200b\u200c\u0007\u0000', /ask: the question is empty/],
    ['only punctuation and emoji', '?!?! 🤔🎉 …', /ask: the question has no words to search for/],
  ];
  for (const [name, question, message] of refused) {
    it(`${name} → a clear private message`, async () => {
      const final = await ask(question);
      assert.equal(final.body?.type, 4);
      assert.equal(messageBody(final).flags, 64);
      assert.match(messageText(final), message);
    });
  }

  it('a 6,000-character question → an answer within every Discord limit', async () => {
    const final = await ask('How many time zones does Russia have? '.repeat(160).slice(0, 6000));
    const body = messageBody(final);
    assert.ok((body.content ?? '').length <= LIMITS.content);
    const embeds = body.embeds ?? [];
    const total = embeds.reduce(
      (n, e) => n + (e.title?.length ?? 0) + (e.description?.length ?? 0) + (e.footer?.text.length ?? 0),
      0,
    );
    assert.ok(total <= LIMITS.embedsTotal);
    for (const e of embeds) assert.ok((e.description ?? '').length <= LIMITS.embedDescription);
    assert.match(messageText(final), /(?:__)?11(?:__)? time zones/);
  });

  it('control and zero-width characters inside a question are ignored', async () => {
    assert.match(
      messageText(await ask('How\u0000 many\u200b time\u0007 zones does Russia have?')),
      /(?:__)?11(?:__)? time zones/,
    );
  });

  it('mentions, code fences and masked links in questions and sources are inert', async () => {
    const final = await ask(
      '@here <@123456789012345678> ```js alert(1)``` [click](https://evil.example) what did the harbour master tell @everyone?',
    );
    const body = messageBody(final);
    assert.deepEqual(body.allowed_mentions, { parse: [] });
    const text = messageText(final);
    assert.match(text, /harbour master/);
    for (const raw of ['@here', '@everyone', '<@123456789012345678>', '```', '](https'])
      assert.ok(!text.includes(raw), `raw ${raw} in the reply`);
  });

  it('a burst of 200 concurrent /ask: every one acknowledged and answered, none lost', async () => {
    const interactions = Array.from({ length: 200 }, (_, i) =>
      discord.dispatchInteraction({
        name: 'ask',
        options: [
          {
            name: 'question',
            type: 3,
            value: i % 2 ? 'How many time zones does Russia have?' : 'Who opposes the plan?',
          },
        ],
        member: { id: String(410000000000000000n + BigInt(i)) },
      }),
    );
    const finals = await Promise.all(
      interactions.map((i) => discord.waitFor(i, (c) => c.method === 'PATCH', 120000)),
    );
    assert.equal(finals.length, 200);
    assert.equal(finals.filter((f) => /Sorry, something went wrong/.test(messageText(f))).length, 0);
    for (const i of interactions)
      assert.equal(discord.callsFor(i)[0]?.body?.type, 5, 'acknowledged by deferring');
  });

  it('/ask during /reload answers from the old index; a second /reload is told one is running', async () => {
    writeFileSync(join(sourcesDir, 'synthetic.md'), syntheticCorpus(3000, ARTICLE_PATH));
    const reload = discord.dispatchInteraction({ name: 'reload', member: owner, options: [SHARED_OPTION] });
    await discord.waitFor(reload, (c) => /embedding/.test(messageText(c)), 30000);
    const second = discord.dispatchInteraction({ name: 'reload', member: owner, options: [SHARED_OPTION] });
    const refusal = await discord.waitFor(second, isFinalReply);
    assert.match(messageText(refusal), /A reload is already running/);
    const answer = await ask('How many time zones does Russia have?');
    const summary = await discord.waitFor(reload, (c) => /Reloaded/.test(messageText(c)), 120000);
    assert.match(messageText(answer), /(?:__)?11(?:__)? time zones/);
    assert.ok(answer.at < summary.at, 'the answer did not wait for the reload');
    assert.match(messageText(summary), /3 sources/);
    assert.match(
      messageText(summary),
      /Skipped http:\/\/127\.0\.0\.1:1\/gone\.html: could not fetch it/,
      'a failing URL is reported',
    );
  });

  it('a reload that cannot write says so, and /ask keeps answering from the old index', async () => {
    const article = join(sourcesDir, ARTICLE_ID);
    writeFileSync(
      article,
      readFileSync(article, 'utf8').replace('They have 11 time zones.', 'They have eleven time zones.'),
    );
    // A file where the embedding-cache folder should be: a real ENOTDIR/EEXIST on write.
    const cacheDir = join(harness.config.indexDir, 'embedding-cache');
    rmSync(cacheDir, { recursive: true, force: true });
    writeFileSync(cacheDir, 'not a folder');
    try {
      const reload = discord.dispatchInteraction({ name: 'reload', member: owner, options: [SHARED_OPTION] });
      const outcome = await discord.waitFor(reload, (c) => /Reload failed/.test(messageText(c)), 60000);
      assert.match(messageText(outcome), /the previous index is still serving/);
      assert.match(messageText(outcome), /could not write the new index/);
      assert.match(
        messageText(await ask('How many time zones does Russia have?')),
        /They have (?:__)?11(?:__)? time zones/,
      );
    } finally {
      rmSync(cacheDir, { force: true });
    }
  });
});

describe('cooldown', () => {
  it('makes a member wait the configured seconds between questions', () => {
    let now = 1_000_000;
    const cooldowns = new Cooldowns(10, () => now);
    assert.equal(cooldowns.remaining('a'), 0);
    cooldowns.start('a');
    now += 3500;
    assert.equal(cooldowns.remaining('a'), 7);
    assert.equal(cooldowns.remaining('b'), 0);
    now += 6500;
    assert.equal(cooldowns.remaining('a'), 0);
  });
});
