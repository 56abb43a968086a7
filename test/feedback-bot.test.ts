/**
 * End to end: the feedback loop through real discord.js and the local Discord stand-in — buttons
 * under answers (vote, vote change, More, Share, a click after a restart), the "Ask Quarry"
 * message command, /reload's autocomplete, /gaps with its CSV and /stats with its PNG chart,
 * and /ask still answering when the feedback database is locked.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { setLogSink } from '../src/log.ts';
import { isCallback, isFinalReply, messageBody, startTestBot, type TestBot } from './bot-harness.ts';
import {
  type ComponentOptions,
  type InteractionOptions,
  MANAGE_GUILD,
  OWNER_ID,
  type RecordedCall,
} from './discord-stand-in.ts';
import { pngSize, tempDir } from './helpers.ts';

const BOT_TOKEN = 'MTAwMDAwMDAwMDAwMDAwMDAx.GqA1bC.quarry-feedback-token-aaaaaaaaaaaaaaaaaaaaa';
const ASKER = { id: '400000000000000004' };
const OTHER = { id: '400000000000000005' };
const MODERATOR = { id: '400000000000000006', permissions: MANAGE_GUILD };
const EPHEMERAL = 64;

const logLines: string[] = [];
const restoreSink = setLogSink((line) => logLines.push(line));
after(() => setLogSink(restoreSink));

const customIds = (call: RecordedCall) =>
  (messageBody(call).components ?? []).flatMap((row) => row.components.map((c) => c.custom_id));

describe('feedback loop end to end', () => {
  const feedbackDb = join(tempDir('quarry-feedback-'), 'feedback.db');
  let harness: TestBot;

  before(async () => {
    harness = await startTestBot({ token: BOT_TOKEN, bot: { feedbackDb } });
  });
  after(async () => {
    await harness?.stop();
  });

  async function interact(options: InteractionOptions) {
    const interaction = harness.discord.dispatchInteraction(options);
    const final = await harness.discord.waitFor(interaction, isFinalReply);
    return { interaction, final, calls: () => harness.discord.callsFor(interaction) };
  }

  async function click(options: ComponentOptions) {
    const interaction = harness.discord.dispatchComponent(options);
    const final = await harness.discord.waitFor(interaction, isFinalReply);
    return { final, calls: harness.discord.callsFor(interaction) };
  }

  const ask = (question: string, member = ASKER, extra: InteractionOptions['options'] = []) =>
    interact({ name: 'ask', member, options: [{ name: 'question', type: 3, value: question }, ...extra] });

  function votes(questionId: number): { up: number; down: number } {
    const db = new Database(feedbackDb, { readonly: true });
    try {
      return db
        .prepare(
          'SELECT COALESCE(SUM(value = 1), 0) AS up, COALESCE(SUM(value = -1), 0) AS down FROM votes WHERE question_id = ?',
        )
        .get(questionId) as { up: number; down: number };
    } finally {
      db.close();
    }
  }

  let answerId = 0;

  it('an answer carries 👍, 👎 and More buttons naming its stored question', async () => {
    const { final } = await ask('How many time zones does Russia have?');
    const ids = customIds(final);
    assert.equal(ids.length, 3, JSON.stringify(messageBody(final).components));
    const match = /^fb:up:(\d+)$/.exec(ids[0] ?? '');
    assert.ok(match);
    answerId = Number(match[1]);
    assert.deepEqual(ids, [`fb:up:${answerId}`, `fb:down:${answerId}`, `fb:more:${answerId}`]);
    assert.ok(ids.every((id) => id.length <= 100));
  });

  it('👍 then 👎: one vote per member, the second replaces the first', async () => {
    const first = await click({ customId: `fb:up:${answerId}`, member: ASKER });
    assert.equal(first.final.body?.type, 4);
    assert.equal(messageBody(first.final).flags, EPHEMERAL);
    assert.match(messageBody(first.final).content ?? '', /marked 👍 helpful/);
    assert.deepEqual(votes(answerId), { up: 1, down: 0 });
    const again = await click({ customId: `fb:up:${answerId}`, member: ASKER });
    assert.match(messageBody(again.final).content ?? '', /already marked/);
    const changed = await click({ customId: `fb:down:${answerId}`, member: ASKER });
    assert.match(messageBody(changed.final).content ?? '', /not helpful \(changed from 👍\)/);
    await click({ customId: `fb:up:${answerId}`, member: OTHER });
    assert.deepEqual(votes(answerId), { up: 1, down: 1 });
  });

  it('More: privately, the passages in full, then the next results', async () => {
    const interaction = harness.discord.dispatchComponent({ customId: `fb:more:${answerId}` });
    const final = await harness.discord.waitFor(interaction, isFinalReply);
    const next = await harness.discord.waitFor(
      interaction,
      (c) => c.method === 'POST' && /\/webhooks\/\d+\/[^/]+$/.test(c.path),
    );
    const calls = harness.discord.callsFor(interaction);
    const first = calls[0];
    assert.ok(first && isCallback(first));
    assert.equal(first.body?.type, 5, 'deferred');
    assert.equal((first.body?.data as { flags?: number } | undefined)?.flags, EPHEMERAL);
    const passages = messageBody(final);
    assert.match(passages.content ?? '', /\(in full\)/);
    assert.equal((passages.embeds ?? []).length, harness.config.topK);
    const more = messageBody(next);
    assert.equal(more.flags, EPHEMERAL, 'the next results are private too');
    assert.match(more.content ?? '', /^The next \d+ results/);
    assert.ok((more.embeds ?? []).length >= 1);
    assert.deepEqual(more.allowed_mentions, { parse: [] });
  });

  it('Share: a private answer posted publicly, "asked by" without a ping; only the asker may', async () => {
    const { final } = await ask('How many time zones does Russia have?', ASKER, [
      { name: 'private', type: 5, value: true },
    ]);
    const ids = customIds(final);
    const shareId = ids.find((id) => id.startsWith('fb:share:'));
    assert.ok(shareId, `share button on a private answer: ${ids.join(' ')}`);
    const refused = await click({ customId: shareId, member: OTHER, message: { flags: EPHEMERAL } });
    assert.match(messageBody(refused.final).content ?? '', /only the member who asked/);
    const shared = await click({ customId: shareId, member: ASKER, message: { flags: EPHEMERAL } });
    const deferred = shared.calls[0];
    assert.equal(deferred?.body?.type, 5);
    assert.notEqual((deferred?.body?.data as { flags?: number } | undefined)?.flags, EPHEMERAL, 'public');
    const body = messageBody(shared.final);
    assert.ok(body.content?.startsWith(`Asked by <@${ASKER.id}>`), body.content);
    assert.deepEqual(body.allowed_mentions, { parse: [] });
    assert.ok((body.embeds ?? []).length >= 1);
    assert.ok(
      !customIds(shared.final).some((id) => id.startsWith('fb:share:')),
      'no Share on the public copy',
    );
  });

  it('"Ask Quarry" on a message answers its text publicly, with the same limits as /ask', async () => {
    const { final, calls } = await interact({
      name: 'Ask Quarry',
      commandType: 3,
      member: OTHER,
      targetMessage: { content: 'How many time zones does Russia have? @everyone' },
    });
    assert.equal(calls()[0]?.body?.type, 5);
    assert.equal((calls()[0]?.body?.data as { flags?: number } | undefined)?.flags ?? 0, 0, 'public');
    const body = messageBody(final);
    assert.match(body.content ?? '', /Quoted from the sources/);
    assert.ok(!(body.content ?? '').includes('@everyone'), 'mention escaped');
    assert.deepEqual(body.allowed_mentions, { parse: [] });
    assert.ok((body.embeds ?? []).length >= 1);
    assert.equal(customIds(final).length, 3);
    const long = await interact({
      name: 'Ask Quarry',
      commandType: 3,
      targetMessage: { content: 'why '.repeat(100) },
    });
    assert.match(messageBody(long.final).content ?? '', /up to 300/);
    assert.equal(messageBody(long.final).flags, EPHEMERAL);
    const empty = await interact({ name: 'Ask Quarry', commandType: 3, targetMessage: { content: '' } });
    assert.match(messageBody(empty.final).content ?? '', /no question/);
  });

  it('/reload autocomplete filters source names as the moderator types', async () => {
    // The article is a shared source: /reload shared:true, which only a bot owner may run.
    const suggest = async (typed: string) => {
      const interaction = harness.discord.dispatchInteraction({
        name: 'reload',
        type: 4,
        member: { ...MODERATOR, id: OWNER_ID },
        options: [
          { name: 'source', type: 3, value: typed, focused: true },
          { name: 'shared', type: 5, value: true },
        ],
      });
      const call = await harness.discord.waitFor(interaction, isCallback);
      assert.equal(call.body?.type, 8);
      const data = (call.body?.data ?? {}) as { choices?: { value: string }[] };
      return (data.choices ?? []).map((c) => c.value);
    };
    assert.deepEqual(await suggest('000_8'), ['000_80816b0a4ae9937f.txt']);
    assert.deepEqual(await suggest('TRUMP'), ['000_80816b0a4ae9937f.txt'], 'titles match too, any case');
    assert.deepEqual(await suggest('no-such-source'), []);
  });

  it('/gaps: unanswered questions grouped with counts, and the full list as CSV', async () => {
    for (const q of [
      'What is the capital of Australia?',
      'what is the capital of australia',
      'What is the capital of Australia',
      'Who painted the Mona Lisa?',
      'Mona Lisa: who painted it?',
    ])
      await ask(q);
    const refused = await interact({ name: 'gaps', member: OTHER });
    assert.match(messageBody(refused.final).content ?? '', /Only moderators/);
    const { final } = await interact({ name: 'gaps', member: MODERATOR });
    const embed = messageBody(final).embeds?.[0];
    assert.ok(embed?.description, JSON.stringify(messageBody(final)));
    const lines = embed.description.split('\n');
    assert.match(lines[0] ?? '', /^1\. \*\*3 ×\*\* What is the capital of Australia\\?/);
    // Different wording, same question: grouped by embedding (fixture model cosine 0.97).
    assert.ok(
      lines.some((l) => /\*\*2 ×\*\* (Who painted the Mona Lisa|Mona Lisa: who painted it)/.test(l)),
      embed.description,
    );
    assert.ok(
      lines.some((l) => /How many time zones.*1 👎/.test(l)),
      'the 👎 answer is a gap too',
    );
    const csv = final.files.find((f) => f.name === 'quarry-gaps.csv');
    assert.ok(csv, `attachments: ${final.files.map((f) => f.name).join(', ')}`);
    const rows = csv.data.toString('utf8').trim().split('\n');
    // 3 × Australia, 2 × Mona Lisa, and the answer with a 👎; a header line first.
    assert.equal(rows.length, 1 + 6, rows.join('\n'));
  });

  it('/stats: counts and a PNG chart of sensible size', async () => {
    const { final } = await interact({
      name: 'stats',
      member: MODERATOR,
      options: [{ name: 'days', type: 4, value: '7' as never }],
    });
    const embed = messageBody(final).embeds?.[0] as
      | { fields?: { name: string; value: string }[] }
      | undefined;
    const field = (name: string) => embed?.fields?.find((f) => f.name === name)?.value;
    // Two /ask, one Ask Quarry, five gap questions; refused messages are not recorded.
    assert.equal(field('Questions'), '8');
    assert.match(field('Helpful') ?? '', /50% \(👍 1 · 👎 1\)/);
    const png = final.files.find((f) => f.name === 'quarry-stats.png');
    assert.ok(png);
    assert.equal(png.contentType, 'image/png');
    const { width, height } = pngSize(png.data);
    assert.ok(width >= 400 && width <= 2000 && height >= 200 && height <= 2000, `${width}×${height}`);
  });

  it('a click on an answer from before a restart still works', async () => {
    await harness.stop();
    harness = await startTestBot({ token: BOT_TOKEN, bot: { feedbackDb }, config: harness.config });
    const { final } = await click({ customId: `fb:up:${answerId}`, member: ASKER });
    assert.match(messageBody(final).content ?? '', /marked 👍 helpful \(changed from 👎\)/);
    assert.deepEqual(votes(answerId), { up: 2, down: 0 });
    const gone = await click({ customId: 'fb:up:999999' });
    assert.match(messageBody(gone.final).content ?? '', /no longer stored/);
  });
});

describe('storage failures never stop /ask', () => {
  it('a locked feedback database: answered without buttons, the failure logged once with the fix', async () => {
    const feedbackDb = join(tempDir('quarry-feedback-'), 'feedback.db');
    const holder = new Database(feedbackDb);
    holder.exec('CREATE TABLE t (x); BEGIN EXCLUSIVE; INSERT INTO t VALUES (1);');
    const before = logLines.length;
    const harness = await startTestBot({ token: BOT_TOKEN, bot: { feedbackDb } });
    try {
      for (let i = 0; i < 2; i++) {
        const interaction = harness.discord.dispatchInteraction({
          name: 'ask',
          options: [{ name: 'question', type: 3, value: 'How many time zones does Russia have?' }],
        });
        const final = await harness.discord.waitFor(interaction, isFinalReply);
        assert.match(messageBody(final).content ?? '', /Quoted from the sources/);
        assert.equal(customIds(final).length, 0);
      }
    } finally {
      await harness.stop();
      holder.exec('ROLLBACK');
      holder.close();
    }
    const failures = logLines.slice(before).filter((l) => l.includes('feedback: could not'));
    assert.equal(failures.length, 1, failures.join('\n'));
    assert.match(failures[0] ?? '', /SQLITE_BUSY.*another process holds the database/);
  });
});
