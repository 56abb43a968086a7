/**
 * Per-server sources end to end: the real bot and discord.js against the Discord stand-in with two
 * servers, attachments served by a local stand-in of Discord's CDN. Server A's moderator adds a
 * text file and a PDF; members of A are quoted from them, members of B never are; B's moderator
 * cannot see, show or remove A's sources; removal asks for confirmation; the audit log records it.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { setLogSink } from '../src/log.ts';
import { isFinalReply, messageBody, messageText, startTestBot, type TestBot } from './bot-harness.ts';
import {
  GUILD_ID,
  type InteractionOptions,
  MANAGE_GUILD,
  MODERATOR_ROLE_ID,
  OTHER_GUILD_ID,
  type RecordedCall,
  SEND_MESSAGES,
  startAttachmentHost,
} from './discord-stand-in.ts';
import { testConfig } from './helpers.ts';
import { makeBombPdf, makePdf, makeTextlessPdf } from './pdf-fixtures.ts';

const BOT_TOKEN = 'MTAwMDAwMDAwMDAwMDAwMDAx.GqA1bC.quarry-servers-token-aaaaaaaaaaaaaaaaaaaaaaaa';
const MOD_A = { id: '400000000000000101', roles: [MODERATOR_ROLE_ID] };
const MOD_B = { id: '400000000000000102', permissions: MANAGE_GUILD };
const MEMBER = { id: '400000000000000103', permissions: SEND_MESSAGES };
const OWNER = '400000000000000104';

const LIGHTHOUSE =
  'Harbour Notes\n\nThe lighthouse keeper feeds seventeen puffins every morning before the ferry leaves.\n\nRead More\n\nThe keeper paints the lamp room blue each spring.\n';

const logLines: string[] = [];
const restoreSink = setLogSink((line) => logLines.push(line));
after(() => setLogSink(restoreSink));

const sub = (name: string, options: InteractionOptions['options'] = []) => [{ name, type: 1, options }];
const isEdit = (c: RecordedCall) => c.method === 'PATCH';

describe('sources per server (two servers in the Discord stand-in)', () => {
  let harness: TestBot;
  let cdn: Awaited<ReturnType<typeof startAttachmentHost>>;

  before(async () => {
    cdn = await startAttachmentHost();
    const config = testConfig();
    // The operator allows the local "web site" (it resolves to loopback); moderators cannot.
    writeFileSync(config.urlSourcesFile, JSON.stringify({ urls: [], allowHosts: [cdn.host] }));
    harness = await startTestBot({
      token: BOT_TOKEN,
      config,
      bot: { ownerIds: [OWNER], attachmentHosts: [cdn.host] },
    });
  });
  after(async () => {
    await harness?.stop();
    await cdn?.close();
  });

  async function interact(options: InteractionOptions, until = isFinalReply) {
    const interaction = harness.discord.dispatchInteraction(options);
    const final = await harness.discord.waitFor(interaction, until, 30000);
    return { interaction, final, text: messageText(final) };
  }
  /** Long jobs (add) edit their reply with progress first: wait for the outcome. */
  const outcome = (c: RecordedCall) => isEdit(c) && /Added|Not added/.test(messageText(c));
  const ask = (question: string, guildId: string) =>
    interact({ name: 'ask', guildId, options: [{ name: 'question', type: 3, value: question }] });
  const addFile = (
    guildId: string,
    member: InteractionOptions['member'],
    name: string,
    body: Buffer | string,
    type: string,
  ) => {
    const attachment = cdn.add(name, body, type);
    return interact(
      {
        name: 'sources',
        guildId,
        ...(member ? { member } : {}),
        options: sub('add', [{ name: 'file', type: 11, value: attachment.id }]),
        attachments: [attachment],
      },
      (c) => outcome(c) || (isFinalReply(c) && c.method === 'POST'),
    );
  };

  it('a moderator of A adds a .txt attachment: indexed at once, with the counts', async () => {
    const { text } = await addFile(
      GUILD_ID,
      MOD_A,
      'Harbour Notes.txt',
      LIGHTHOUSE,
      'text/plain; charset=utf-8',
    );
    assert.match(text, /Added/);
    assert.match(text, /harbour-notes\.txt/);
    assert.match(text, /\d+ passages, 1 boilerplate line removed/);
  });

  it('members of A are quoted from it; members of B are not', async () => {
    const inA = await ask('How many puffins does the lighthouse keeper feed?', GUILD_ID);
    assert.match(inA.text, /(?:__)?seventeen(?:__)? puffins/);
    // The answer's More button asks again in the same server: A's own source, not only the shared.
    const more = (messageBody(inA.final).components ?? [])
      .flatMap((row) => row.components)
      .find((b) => b.custom_id.startsWith('fb:more:'));
    assert.ok(more, 'the answer carries a More button');
    const click = harness.discord.dispatchComponent({ customId: more.custom_id, guildId: GUILD_ID });
    const inFull = await harness.discord.waitFor(click, isFinalReply, 30000);
    assert.match(messageText(inFull), /(?:__)?seventeen(?:__)? puffins/);
    const inB = await ask('How many puffins does the lighthouse keeper feed?', OTHER_GUILD_ID);
    assert.doesNotMatch(inB.text, /(?:__)?seventeen(?:__)? puffins|harbour-notes/);
    // Both still read the shared sources.
    const shared = await ask('How many time zones does Russia have?', OTHER_GUILD_ID);
    assert.match(shared.text, /(?:__)?11(?:__)? time zones/);
  });

  it('B cannot list, show or remove A’s source', async () => {
    const list = await interact({ name: 'sources', guildId: OTHER_GUILD_ID, options: sub('list') });
    assert.doesNotMatch(list.text, /harbour-notes/);
    assert.match(list.text, /Trump eyes Russia/);
    const show = await interact({
      name: 'sources',
      guildId: OTHER_GUILD_ID,
      options: sub('show', [{ name: 'source', type: 3, value: 'harbour-notes.txt' }]),
    });
    assert.match(show.text, /no source named/);
    assert.doesNotMatch(show.text, /puffins/);
    const remove = await interact({
      name: 'sources',
      guildId: OTHER_GUILD_ID,
      member: MOD_B,
      options: sub('remove', [{ name: 'source', type: 3, value: 'harbour-notes.txt' }]),
    });
    assert.match(remove.text, /no source named/);
    const again = await ask('How many puffins does the lighthouse keeper feed?', GUILD_ID);
    assert.match(again.text, /(?:__)?seventeen(?:__)? puffins/, 'still in A');
    // Autocomplete suggests only the server's own names (and, for show, the shared ones).
    const suggest = async (guildId: string, subcommand: string) => {
      const interaction = harness.discord.dispatchInteraction({
        name: 'sources',
        type: 4,
        guildId,
        member: guildId === GUILD_ID ? MOD_A : MOD_B,
        options: sub(subcommand, [{ name: 'source', type: 3, value: '', focused: true }]),
      });
      const call = await harness.discord.waitFor(interaction, (c) => c.body?.type === 8);
      const data = call.body?.data as { choices?: { value: string }[] } | undefined;
      return (data?.choices ?? []).map((c) => c.value);
    };
    assert.deepEqual(await suggest(GUILD_ID, 'remove'), ['harbour-notes.txt']);
    assert.deepEqual(await suggest(OTHER_GUILD_ID, 'remove'), []);
    assert.deepEqual(await suggest(OTHER_GUILD_ID, 'show'), ['000_80816b0a4ae9937f.txt']);
  });

  it('/sources show in A: the cleaned text, passage count and what cleaning removed, privately', async () => {
    const { interaction, text } = await interact({
      name: 'sources',
      guildId: GUILD_ID,
      options: sub('show', [{ name: 'source', type: 3, value: 'harbour-notes.txt' }]),
    });
    assert.match(text, /seventeen puffins/);
    assert.match(text, /\d+ passages/);
    assert.match(text, /Removed by cleaning \(1 line\)/);
    assert.match(text, /Read More/);
    const deferred = harness.discord.callsFor(interaction)[0];
    assert.equal((deferred?.body?.data as { flags?: number } | undefined)?.flags, 64, 'private');
  });

  it('a PDF added in A is cited with its page', async () => {
    const pdf = await makePdf([
      ['Tide Tables'],
      ['The harbour bell rings nine times when the spring tide turns.'],
    ]);
    const added = await addFile(GUILD_ID, MOD_A, 'Tide Tables.pdf', pdf, 'application/pdf');
    assert.match(added.text, /Added/);
    assert.match(added.text, /from 2 pages/);
    const { final } = await ask('How many times does the harbour bell ring when the tide turns?', GUILD_ID);
    const embeds = (final.body?.embeds ?? []) as { description: string; footer: { text: string } }[];
    const cited = embeds.find((e) => /harbour bell/.test(e.description));
    assert.ok(cited, messageText(final));
    assert.match(cited.footer.text, /^Page 2 · Paragraph \d+ · relevance \d+% · tide-tables\.pdf\.md$/);
  });

  it('a web page added by URL in A links its citations to the page', async () => {
    const page = cdn.add(
      'ferry.html',
      '<html><head><title>Ferry Timetable</title><script>track()</script></head><body><nav>Home | About</nav><article><p>The night ferry to the island leaves at half past nine from pier four.</p></article></body></html>',
      'text/html; charset=utf-8',
    );
    const added = await interact(
      {
        name: 'sources',
        guildId: GUILD_ID,
        member: MOD_A,
        options: sub('add', [{ name: 'url', type: 3, value: page.url }]),
      },
      outcome,
    );
    assert.match(added.text, /Added\*\* Ferry Timetable/);
    const { final } = await ask('When does the night ferry to the island leave?', GUILD_ID);
    const embeds = (final.body?.embeds ?? []) as { description: string; url?: string }[];
    const cited = embeds.find((e) => /night ferry/.test(e.description));
    assert.equal(cited?.url, page.url);
    // An internal address the operator did not allow is refused, as for URL_SOURCES_FILE.
    const internal = await interact(
      {
        name: 'sources',
        guildId: GUILD_ID,
        member: MOD_A,
        options: sub('add', [{ name: 'url', type: 3, value: 'http://127.0.0.2:9/secret' }]),
      },
      outcome,
    );
    assert.match(internal.text, /Not added.*internal address/s);
  });

  it('a non-moderator cannot add; bad files are refused and nothing changes', async () => {
    const refused = await addFile(
      GUILD_ID,
      MEMBER,
      'notes.txt',
      'Some notes about the puffins.\n',
      'text/plain',
    );
    assert.match(refused.text, /only moderators/i);
    const binary = await addFile(
      GUILD_ID,
      MOD_A,
      'data.txt',
      Buffer.from([0, 1, 2, 3, 0, 255, 0, 7]),
      'text/plain',
    );
    assert.match(binary.text, /Not added.*binary/s);
    const script = await addFile(
      GUILD_ID,
      MOD_A,
      'page.html',
      '<html><body><p>Hello there friends.</p><script>alert(1)</script></body></html>',
      'text/html',
    );
    assert.match(script.text, /Not added.*scripts/s);
    const scan = await addFile(GUILD_ID, MOD_A, 'scan.pdf', await makeTextlessPdf(), 'application/pdf');
    assert.match(scan.text, /Not added.*no text to quote/s);
    const bomb = await addFile(GUILD_ID, MOD_A, 'bomb.pdf', makeBombPdf(80 * 1024 * 1024), 'application/pdf');
    assert.match(bomb.text, /Not added.*decompression bomb/s);
    // Discord says how large an attachment is: one over MAX_SOURCE_MB is not even downloaded.
    const huge = cdn.add('huge.txt', 'small body, declared huge', 'text/plain');
    const requestsBefore = cdn.requests.length;
    const tooLarge = await interact(
      {
        name: 'sources',
        guildId: GUILD_ID,
        member: MOD_A,
        options: sub('add', [{ name: 'file', type: 11, value: huge.id }]),
        attachments: [{ ...huge, size: 300 * 1024 * 1024 }],
      },
      outcome,
    );
    assert.match(tooLarge.text, /Not added.*too large/s);
    assert.equal(cdn.requests.length, requestsBefore, 'not downloaded');
    const elsewhere = cdn.add('elsewhere.txt', 'Some text from elsewhere.\n', 'text/plain');
    const offHost = await interact(
      {
        name: 'sources',
        guildId: GUILD_ID,
        member: MOD_A,
        options: sub('add', [{ name: 'file', type: 11, value: elsewhere.id }]),
        attachments: [{ ...elsewhere, url: elsewhere.url.replace('127.0.0.1', 'localhost') }],
      },
      outcome,
    );
    assert.match(offHost.text, /Not added.*not on an allowed attachment host/s);
    const list = await interact({ name: 'sources', guildId: GUILD_ID, options: sub('list') });
    assert.match(list.text, /Sources \(4\)/, 'the article, the text file, the PDF and the page only');
  });

  it('moderators reload only their server; the shared sources only for BOT_OWNER_IDS', async () => {
    const shared = await interact({
      name: 'reload',
      guildId: GUILD_ID,
      member: MOD_A,
      options: [{ name: 'shared', type: 5, value: true }],
    });
    assert.match(shared.text, /Only the bot owners/);
    const own = await interact(
      { name: 'reload', guildId: GUILD_ID, member: MOD_A },
      (c) => isEdit(c) && /Reloaded|failed/.test(messageText(c)),
    );
    assert.match(
      own.text,
      /Reloaded\*\* 3 sources/,
      'the text file, the PDF and the page, not the shared article',
    );
  });

  it('remove asks for confirmation; only the asker can confirm; then A no longer quotes it', async () => {
    const { final } = await interact({
      name: 'sources',
      guildId: GUILD_ID,
      member: MOD_A,
      options: sub('remove', [{ name: 'source', type: 3, value: 'harbour-notes.txt' }]),
    });
    const data = final.body?.data as {
      content: string;
      components: { components: { custom_id: string }[] }[];
    };
    assert.match(data.content, /Remove `harbour-notes\.txt`/);
    const [confirm] = data.components[0]?.components ?? [];
    assert.ok(confirm && /^sources:remove:/.test(confirm.custom_id));

    // The confirmation is private (ephemeral, flags 64), as /sources remove sends it.
    const stranger = harness.discord.dispatchComponent({
      customId: confirm.custom_id,
      member: { ...MOD_A, id: MOD_B.id },
      message: { flags: 64 },
    });
    const refused = await harness.discord.waitFor(stranger, isFinalReply);
    assert.match(messageText(refused), /Only the moderator who asked/);

    const click = harness.discord.dispatchComponent({
      customId: confirm.custom_id,
      member: MOD_A,
      message: { flags: 64 },
    });
    const done = await harness.discord.waitFor(
      click,
      (c) => isEdit(c) && /Removed|Not removed/.test(messageText(c)),
      30000,
    );
    assert.match(messageText(done), /Removed\*\* `harbour-notes\.txt`/);
    const inA = await ask('How many puffins does the lighthouse keeper feed?', GUILD_ID);
    assert.doesNotMatch(inA.text, /(?:__)?seventeen(?:__)? puffins/);
  });

  it('the audit log shows who did what in A, and nothing of A in B', async () => {
    const a = await interact({ name: 'sources', guildId: GUILD_ID, member: MOD_A, options: sub('log') });
    assert.match(a.text, new RegExp(`<@${MOD_A.id}> \\*\\*remove\\*\\* \`harbour-notes\\.txt\` — ok`));
    assert.match(a.text, /\*\*add\*\* `harbour-notes\.txt` — ok/);
    assert.match(a.text, /\*\*add\*\* `data\.txt` — refused/);
    assert.match(a.text, /\*\*reload\*\*/);
    const b = await interact({
      name: 'sources',
      guildId: OTHER_GUILD_ID,
      member: MOD_B,
      options: sub('log'),
    });
    assert.doesNotMatch(b.text, /harbour-notes/);
    const member = await interact({
      name: 'sources',
      guildId: GUILD_ID,
      member: MEMBER,
      options: sub('log'),
    });
    assert.match(member.text, /only moderators/i);
  });

  it('only BOT_OWNER_IDS add and remove shared sources, which every server then reads', async () => {
    const rules = 'Ferry Rules\n\nBicycles ride free on the morning ferry to the lighthouse island.\n';
    const attach = (member: InteractionOptions['member']) => {
      const attachment = cdn.add('ferry-rules.txt', rules, 'text/plain');
      return interact(
        {
          name: 'sources',
          guildId: OTHER_GUILD_ID,
          ...(member ? { member } : {}),
          options: sub('add', [
            { name: 'file', type: 11, value: attachment.id },
            { name: 'shared', type: 5, value: true },
          ]),
          attachments: [attachment],
        },
        (c) => outcome(c) || (isFinalReply(c) && c.method === 'POST'),
      );
    };
    assert.match((await attach(MOD_B)).text, /Only the bot owners/);
    assert.match((await attach({ id: OWNER })).text, /Added/);
    const inA = await ask('Do bicycles ride free on the morning ferry?', GUILD_ID);
    assert.match(inA.text, /Bicycles ride free/);
    const { final } = await interact({
      name: 'sources',
      guildId: OTHER_GUILD_ID,
      member: { id: OWNER },
      options: sub('remove', [
        { name: 'source', type: 3, value: 'ferry-rules.txt' },
        { name: 'shared', type: 5, value: true },
      ]),
    });
    const data = final.body?.data as { components: { components: { custom_id: string }[] }[] };
    const confirm = data.components[0]?.components[0]?.custom_id ?? '';
    const click = harness.discord.dispatchComponent({
      customId: confirm,
      member: { id: OWNER },
      guildId: OTHER_GUILD_ID,
      message: { flags: 64 },
    });
    const done = await harness.discord.waitFor(
      click,
      (c) => isEdit(c) && /Removed|Not removed/.test(messageText(c)),
      30000,
    );
    assert.match(messageText(done), /Removed/);
    assert.doesNotMatch(
      (await ask('Do bicycles ride free on the morning ferry?', GUILD_ID)).text,
      /Bicycles ride free/,
    );
  });

  it('every message carries allowed_mentions.parse = []', () => {
    const messages = harness.discord.calls.filter(
      (c) =>
        (c.method === 'PATCH' || (c.path.endsWith('/callback') && [4, 7].includes(Number(c.body?.type)))) &&
        c.body,
    );
    assert.ok(messages.length > 10);
    for (const call of messages) {
      const body = (call.path.endsWith('/callback') ? call.body?.data : call.body) as {
        allowed_mentions?: unknown;
      };
      assert.deepEqual(body?.allowed_mentions, { parse: [] }, `${call.method} ${call.path}`);
    }
  });
});
