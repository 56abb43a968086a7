/**
 * End to end: the real bot code and a real discord.js client against the local stand-in of
 * Discord (REST + gateway), answering from a real index built with the fixture model.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setLogSink } from '../src/log.ts';
import {
  isCallback,
  isFinalReply,
  messageBody,
  messageText,
  startTestBot,
  type TestBot,
} from './bot-harness.ts';
import {
  type InteractionOptions,
  MANAGE_GUILD,
  MODERATOR_ROLE_ID,
  OWNER_ID,
  type RecordedCall,
  SEND_MESSAGES,
  SHARED_OPTION,
  type StandIn,
} from './discord-stand-in.ts';
import { ARTICLE_ID, FIXTURE_MODEL, tempDir, testConfig } from './helpers.ts';
import { startHubStandIn } from './hub-stand-in.ts';

const BOT_TOKEN = 'MTAwMDAwMDAwMDAwMDAwMDAx.GqA1bC.quarry-test-token-aaaaaaaaaaaaaaaaaaaaaaaaaa';
const INJECTION_SOURCE = 'announcements.md';
const INJECTION_TEXT =
  '# Server Announcements\n\nThe lighthouse keeper said @everyone should read the <@&123> rules and **never** share [secrets](https://example.com) before the ```ferry``` leaves.\n';

const logLines: string[] = [];
const restoreSink = setLogSink((line) => logLines.push(line));
after(() => {
  setLogSink(restoreSink);
  if (process.env.SHOW_BOT_LOG) process.stderr.write(`${logLines.join('\n')}\n`);
});

const isFinalAnswer = (call: RecordedCall) =>
  call.method === 'PATCH' && call.path.endsWith('/messages/@original');

describe('bot end to end (discord.js against a local stand-in of Discord)', () => {
  let harness: TestBot;
  let discord: StandIn;
  let sourcesDir: string;

  before(async () => {
    harness = await startTestBot({ token: BOT_TOKEN, extraSources: { [INJECTION_SOURCE]: INJECTION_TEXT } });
    discord = harness.discord;
    sourcesDir = harness.config.sourcesDir;
  });

  after(async () => {
    await harness?.stop();
  });

  async function interact(options: InteractionOptions) {
    const interaction = discord.dispatchInteraction(options);
    const final = await discord.waitFor(interaction, isFinalReply);
    return { interaction, final, text: messageText(final), calls: () => discord.callsFor(interaction) };
  }

  const askOptions = (question: string, member?: InteractionOptions['member']): InteractionOptions => ({
    name: 'ask',
    options: [{ name: 'question', type: 3, value: question }],
    ...(member ? { member } : {}),
  });
  const ask = (question: string, member?: InteractionOptions['member']) =>
    interact(askOptions(question, member));
  /** Sends /ask without waiting for a reply: for tests where the reply is what fails. */
  const sendAsk = (question: string) => discord.dispatchInteraction(askOptions(question));

  it('/ask → deferred, then a quoted answer with citation and relevance', async () => {
    const { final, calls } = await ask('How many time zones does Russia have?');
    const first = calls()[0];
    assert.ok(first && isCallback(first));
    assert.equal(first.body?.type, 5, 'acknowledged by deferring');
    const embeds = final.body?.embeds as { title: string; description: string; footer: { text: string } }[];
    assert.ok(embeds.length >= 1);
    const top = embeds[0];
    assert.ok(top);
    assert.match(top.description, /^> /, 'block quote');
    assert.match(
      top.description,
      /\*\*They have __11__ time zones\.\*\*/,
      'key sentence in bold, the answer in it underlined',
    );
    assert.match(top.title, /^1\. Trump eyes Russia/);
    assert.match(top.footer.text, /^Paragraph 3 · relevance \d+% · 000_80816b0a4ae9937f\.txt$/);
  });

  it('/ask off-topic → the "not in the sources" reply', async () => {
    const { final } = await ask('How do I bake sourdough bread?');
    assert.match(String(final.body?.content), /^\*\*Not in the sources\.\*\*/);
  });

  it('/sources lists the article with its passage count, the model and the index size', async () => {
    const { final } = await interact({ name: 'sources' });
    const text = messageText(final);
    assert.match(text, /Trump eyes Russia/);
    assert.match(text, new RegExp(`${ARTICLE_ID.replace('.', '\\.')}.*\\d+ passages`));
    assert.match(text, /tiny-embedder#fp32/);
    assert.match(text, /KB, built <t:\d+:R>/);
  });

  it('/reload by a member without Manage Server is refused, even with the command permission overridden', async () => {
    // Discord only delivers this interaction if a server admin let the member use /reload;
    // the member's own permissions still lack Manage Server, and that is what we check.
    const { final, calls } = await interact({
      name: 'reload',
      member: { id: '400000000000000044', permissions: SEND_MESSAGES },
    });
    assert.equal(final.body?.type, 4);
    assert.match(messageText(final), /Only moderators/);
    assert.equal((final.body?.data as { flags?: number } | undefined)?.flags, 64, 'private reply');
    assert.equal(calls().length, 1, 'no reload was started');
  });

  it('/reload by a moderator after a source changed: summary shows the change, next /ask quotes the new text', async () => {
    const path = join(sourcesDir, ARTICLE_ID);
    writeFileSync(
      path,
      readFileSync(path, 'utf8').replace('They have 11 time zones.', 'They have eleven time zones.'),
    );
    // The article is a shared source: reloading it is for BOT_OWNER_IDS.
    const reload = discord.dispatchInteraction({
      name: 'reload',
      member: { id: OWNER_ID },
      options: [SHARED_OPTION],
    });
    const summary = await discord.waitFor(
      reload,
      (c) => isFinalAnswer(c) && /Reloaded/.test(messageText(c)),
      20000,
    );
    assert.match(messageText(summary), /2 sources, \d+ passages \(1 added, 1 removed, \d+ unchanged\)/);
    const progress = discord.callsFor(reload).filter((c) => /Reloading/.test(messageText(c)));
    assert.ok(progress.length >= 1, 'progress shown while reloading');
    const { final } = await ask('How many time zones does Russia have?');
    assert.match(messageText(final), /(?:__)?eleven(?:__)? time zones/);
    // A member with Manage Server moderates this server only: the shared sources are not theirs
    // (before per-server sources, any server's moderator could reload what every server read).
    const byPermission = await interact({
      name: 'reload',
      member: { id: '400000000000000046', permissions: MANAGE_GUILD },
      options: [SHARED_OPTION],
    });
    assert.match(byPermission.text, /Only the bot owners/);
    const moderator = await interact({
      name: 'reload',
      member: { id: '400000000000000045', roles: [MODERATOR_ROLE_ID] },
      options: [SHARED_OPTION],
    });
    assert.match(moderator.text, /Only the bot owners/);
  });

  it('mentions in questions and sources never ping: every message carries allowed_mentions.parse = []', async () => {
    const { final, calls } = await ask(
      '@everyone what did the lighthouse keeper say about the rules and secrets?',
    );
    const text = messageText(final);
    assert.match(text, /@\\u200beveryone|@\u200beveryone/, 'mention broken with a zero-width space');
    assert.match(text, /\\\\<@&123\\\\>/, 'role mention escaped');
    assert.doesNotMatch(text, /\]\(https/, 'masked link escaped');
    const messages = calls().filter((c) => c.method !== 'DELETE' && !(isCallback(c) && c.body?.type === 5));
    assert.ok(messages.length >= 1);
    for (const call of messages) {
      assert.deepEqual(messageBody(call).allowed_mentions, { parse: [] }, `${call.method} ${call.path}`);
    }
  });

  it('keeps answering after the gateway connection drops (RESUME)', async () => {
    const resumes = discord.resumes;
    discord.dropConnection();
    await discord.waitForResume(resumes + 1);
    const { final } = await ask('Where are Ukraine rare earth deposits located?');
    assert.match(messageText(final), /(?:__)?Donetsk(?:__)? and (?:__)?Lugansk/);
  });

  it('gets an answer through when Discord answers 500 and 429 once', async () => {
    discord.failNext(/\/messages\/@original$/, 500, 1);
    discord.failNext(/\/callback$/, 429, 1);
    const { final } = await ask('What share of the world rare earth reserves does Russia have?');
    assert.match(messageText(final), /(?:__)?20%(?:__)? of the world/);
  });

  it('when Discord fails every edit of the answer (5xx), the answer arrives as a follow-up and the log says so', async () => {
    const logged = logLines.length;
    discord.failNext(/\/messages\/@original$/, 500, 100);
    const interaction = sendAsk('How many time zones does Russia have?');
    try {
      const followUp = await discord.waitFor(
        interaction,
        (c) => c.method === 'POST' && /^\/api\/v10\/webhooks\/\d+\/[^/]+$/.test(c.path),
        30000,
      );
      assert.match(messageText(followUp), /(?:__)?11(?:__)? time zones/);
      assert.deepEqual(messageBody(followUp).allowed_mentions, { parse: [] });
    } finally {
      discord.clearFailures();
    }
    const lines = logLines.slice(logged);
    assert.ok(
      lines.some((l) => /could not edit the reply to \/ask .*sending it as a follow-up/.test(l)),
      lines.join('\n'),
    );
    assert.ok(!lines.join('\n').includes(interaction.token), 'interaction token in the log');
  });

  it('logs a lost connection, an invalidated session and a 429 in one line each, tokens redacted', async () => {
    const logged = logLines.length;
    const linesMatching = (pattern: RegExp) => logLines.slice(logged).filter((l) => pattern.test(l));

    const resumes = discord.resumes;
    discord.dropConnection();
    await discord.waitForResume(resumes + 1);
    // The client must have handled RESUMED before the session is invalidated: discord.js
    // itself fails on a RESUMED that arrives after its session was dropped.
    const deadline = Date.now() + 10000;
    while (linesMatching(/gateway connection resumed/).length === 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    assert.equal(linesMatching(/gateway connection lost; reconnecting/).length, 1);

    const identifies = discord.identifies;
    discord.invalidateSession(false);
    await discord.waitForIdentify(identifies + 1);
    assert.equal(linesMatching(/gateway session invalidated; identifying anew/).length, 1);

    discord.failNext(/\/callback$/, 429, 1);
    const { interaction } = await ask('What share of the world rare earth reserves does Russia have?');
    const rateLimited = linesMatching(/rate limited \(429\) on POST/);
    assert.equal(rateLimited.length, 1, rateLimited.join('\n'));
    assert.match(rateLimited[0] ?? '', /\/interactions\/\d+\/\[redacted\]\/callback/);
    assert.ok(!logLines.join('\n').includes(interaction.token), 'interaction token in the log');
  });

  it('a reply Discord refuses is logged with an error id and the interaction token redacted', async () => {
    // 404 is not retried: the answer and the apology both fail, and both failures are logged.
    discord.failNext(/\/messages\/@original$/, 404, 2);
    const interaction = sendAsk('How many time zones does Russia have?');
    await discord.waitFor(interaction, (c) => c.method === 'PATCH', 15000);
    const deadline = Date.now() + 5000;
    while (!logLines.some((l) => l.includes('could not tell the member')) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const failure = logLines.find((l) => /bot: \/ask failed \(error id [0-9a-f]{6}\)/.test(l)) ?? '';
    assert.match(failure, /Simulated failure for PATCH \/api\/v10\/webhooks\/\d+\/\[redacted\]\/messages/);
    assert.ok(!failure.includes(interaction.token));
  });

  it('when the follow-up with the answer fails too, the member still gets a short error with an id', async () => {
    discord.failNext(/\/messages\/@original$/, 500, 100);
    // discord.js tries a request 4 times (3 retries): the answer's follow-up fails for good, the
    // apology's follow-up gets through.
    discord.failNext(/^\/api\/v10\/webhooks\/\d+\/[^/]+$/, 500, 4);
    const interaction = sendAsk('How many time zones does Russia have?');
    try {
      const apology = await discord.waitFor(
        interaction,
        (c) => c.method === 'POST' && /error id/.test(messageText(c)),
        30000,
      );
      const id = /error id `([0-9a-f]{6})`/.exec(messageText(apology))?.[1];
      assert.ok(id, messageText(apology));
      assert.equal(messageBody(apology).flags, 64, 'private');
      assert.ok(logLines.some((l) => l.includes(`bot: /ask failed (error id ${id})`)));
    } finally {
      discord.clearFailures();
    }
  });

  it('never writes the bot token or an interaction token to the log', () => {
    const all = logLines.join('\n');
    assert.ok(!all.includes(BOT_TOKEN));
    assert.ok(!/interaction-token-[0-9a-f]{8}/.test(all), 'interaction token in log');
  });
});

describe('first /ask while the model is still loading', () => {
  it('is acknowledged within 3 s while the weights are still downloading, and answered once they arrive', async () => {
    const modelId = 'quarry-test/slow-model';
    let releaseWeights = () => {};
    const weightsHeld = new Promise<void>((resolve) => {
      releaseWeights = resolve;
    });
    const hub = await startHubStandIn(modelId, FIXTURE_MODEL, { holdWeights: weightsHeld });
    const harness = await startTestBot({
      token: BOT_TOKEN,
      open: false,
      config: testConfig({
        EMBEDDING_MODEL: modelId,
        MODEL_REMOTE_HOST: hub.url,
        MODEL_CACHE_DIR: join(tempDir(), 'models'),
      }),
    });
    const { discord } = harness;
    try {
      const interaction = discord.dispatchInteraction({
        name: 'ask',
        options: [{ name: 'question', type: 3, value: 'How many time zones does Russia have?' }],
      });
      // The weights are only served after the acknowledgement: a bot that waited for the model
      // before deferring would never acknowledge, and Discord would show "did not respond".
      const ack = await discord.waitFor(interaction, isCallback, 20000);
      assert.equal(ack.body?.type, 5, 'deferred (type 5)');
      // Discord's own deadline, not a speed target: past 3 s the interaction is dead.
      assert.ok(ack.at - interaction.sentAt < 3000, `acknowledged after ${ack.at - interaction.sentAt} ms`);
      assert.equal(discord.calls.filter((c) => c.path.includes('/webhooks/')).length, 0, 'no answer yet');
      releaseWeights();
      const final = await discord.waitFor(interaction, isFinalAnswer, 30000);
      assert.ok(
        hub.requests.some((r) => /^GET .*\.onnx$/.test(r)),
        'the weights came from the hub',
      );
      assert.match(messageText(final), /(?:__)?11(?:__)? time zones/);
    } finally {
      await harness.stop();
      await hub.close();
    }
  });
});
