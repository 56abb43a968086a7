/** The /sources replies stay within Discord's limits for any input and never carry a live mention. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { embedsLength, LIMITS, type MessageData } from '../src/bot/format.ts';
import {
  formatAdded,
  formatAddFailed,
  formatAuditLog,
  formatRemoveQuestion,
  formatShownSource,
} from '../src/bot/format-sources.ts';

const HOSTILE = '@everyone <@&123> ```fence``` [link](https://example.com) **bold** ';

function assertWithinLimits(message: MessageData): void {
  assert.ok(message.content.length <= LIMITS.content, `content ${message.content.length}`);
  assert.ok(embedsLength(message.embeds) <= LIMITS.embedsTotal, `embeds ${embedsLength(message.embeds)}`);
  for (const embed of message.embeds) {
    assert.ok((embed.title?.length ?? 0) <= LIMITS.embedTitle, `title ${embed.title?.length}`);
    assert.ok((embed.description?.length ?? 0) <= LIMITS.embedDescription, 'description');
    for (const field of embed.fields ?? []) assert.ok(field.value.length <= LIMITS.embedField, 'field');
  }
}

function assertInert(text: string): void {
  assert.doesNotMatch(text, /(?<!\\)@everyone/, 'a live @everyone');
  assert.doesNotMatch(text, /(?<!\\)<@&123>/, 'a live role mention');
}

describe('/sources replies', () => {
  it('show: a huge source with thousands of removed lines and a hostile title fits and is inert', () => {
    const message = formatShownSource(
      {
        id: `${'x'.repeat(500)}.txt`,
        passages: 12345,
        preview: {
          title: HOSTILE.repeat(40),
          text: HOSTILE.repeat(5000),
          removedLines: Array.from({ length: 5000 }, (_, i) => `${HOSTILE} line ${i}`),
          pages: 500,
        },
        meta: { kind: 'pdf', origin: 'x.pdf', url: `https://example.com/${'a'.repeat(3000)}` },
      },
      'server',
    );
    assertWithinLimits(message);
    const text = JSON.stringify(message);
    assertInert(text);
    assert.match(text, /Removed by cleaning \(5000 lines\)/);
    assert.match(text, /500 pages/);
  });

  it('added, failed, remove question and audit log fit and are inert', () => {
    const added = formatAdded({
      id: 'a`b.txt',
      title: HOSTILE.repeat(50),
      passages: 3,
      removedLines: 1,
      summary: {
        sources: 1,
        passages: 3,
        added: 3,
        removed: 0,
        unchanged: 0,
        embedded: 3,
        seconds: 1,
        skipped: [],
        warnings: [],
      },
    });
    assertWithinLimits(added);
    assert.match(JSON.stringify(added), /3 passages, 1 boilerplate line removed/);
    assert.match(JSON.stringify(added), /`a'b\.txt`/, 'a backtick cannot close the code span');
    assertWithinLimits(formatAddFailed(HOSTILE.repeat(500)));
    const question = formatRemoveQuestion('x.txt', { title: HOSTILE.repeat(100), passages: 2 }, false);
    assert.ok(question.length <= LIMITS.content);
    assertInert(question);
    const log = formatAuditLog(
      Array.from({ length: 200 }, (_, i) => ({
        guildId: '1',
        actorId: '400000000000000101',
        action: 'add' as const,
        source: `${HOSTILE}${i}.txt`,
        outcome: 'refused' as const,
        detail: HOSTILE.repeat(30),
        at: 1_700_000_000_000 + i,
      })),
      false,
    );
    assertWithinLimits(log);
    assertInert(JSON.stringify(log));
    assert.match(JSON.stringify(log), /… and \d+ more/);
  });
});
