/**
 * Status messages of long commands (/reload progress, summary, failure; /sources) as plain data,
 * and the progress helper's throttling with a fake interaction and clock.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatInputCommandInteraction } from 'discord.js';
import { explainFailure } from '../src/bot/failure.ts';
import {
  COLORS,
  embedsLength,
  formatReloadFailure,
  formatReloadProgress,
  formatReloadSummary,
  formatSources,
  LIMITS,
  type MessageData,
} from '../src/bot/format.ts';
import { PROGRESS_EDIT_INTERVAL_MS, progressReply } from '../src/bot/progress-reply.ts';
import { UserFacingError } from '../src/errors.ts';
import { setLogSink } from '../src/log.ts';
import type { ReloadSummary, Status } from '../src/quarry.ts';

const summary = (overrides: Partial<ReloadSummary> = {}): ReloadSummary => ({
  sources: 2,
  passages: 30,
  added: 3,
  removed: 1,
  unchanged: 27,
  embedded: 9,
  seconds: 1.234,
  skipped: [],
  warnings: [],
  ...overrides,
});

const description = (message: MessageData) => message.embeds[0]?.description ?? '';

describe('reload status messages', () => {
  it('summarises counts, skipped sources and warnings, escaped', () => {
    const message = formatReloadSummary(
      summary({ skipped: [{ id: 'a_b.pdf', reason: 'unsupported *type*' }], warnings: ['@everyone read'] }),
    );
    assert.equal(message.embeds[0]?.color, COLORS.success);
    assert.equal(
      description(message),
      '**Reloaded** 2 sources, 30 passages (3 added, 1 removed, 27 unchanged) in 1.2 s.\n' +
        'Skipped a\\_b.pdf: unsupported \\*type\\*\n' +
        'Note: @\u200beveryone read',
    );
    assert.match(description(formatReloadSummary(summary({ sources: 1 }))), /^\*\*Reloaded\*\* 1 source,/);
  });

  it('stays within the embed limit however many sources were skipped', () => {
    const skipped = Array.from({ length: 500 }, (_, i) => ({ id: `file-${i}.bin`, reason: 'x'.repeat(300) }));
    const message = formatReloadSummary(summary({ skipped }));
    assert.ok(description(message).length <= LIMITS.embedDescription);
    assert.ok(embedsLength(message.embeds) <= LIMITS.embedsTotal);
  });

  it('shows progress with the source being reloaded, and failures with the reason', () => {
    assert.equal(
      description(formatReloadProgress('news_1.md', ['loading', 'embedding 3/9'])),
      'Reloading news\\_1.md… loading → embedding 3/9',
    );
    assert.equal(description(formatReloadProgress(undefined, ['loading'])), 'Reloading… loading');
    const failure = formatReloadFailure('index: could not write — free disk space');
    assert.equal(failure.embeds[0]?.color, COLORS.failure);
    assert.match(
      description(failure),
      /^\*\*Reload failed\*\*; the previous index is still serving\.\nReason: index: /,
    );
  });
});

describe('formatSources', () => {
  const status = (count: number): Status => ({
    model: 'Xenova/all-MiniLM-L6-v2',
    builtAt: '2026-01-02T03:04:05.000Z',
    passages: 20 * count,
    bytes: 1536,
    sources: Array.from({ length: count }, (_, i) => ({
      id: `source-${i}.md`,
      title: `Title ${i}`,
      contentHash: 'h',
      passages: 20,
      loadedAt: '2026-01-02T03:04:05.000Z',
    })),
  });

  it('lists each source with a relative time, and the model and index size', () => {
    const embed = formatSources(status(1)).embeds[0];
    assert.equal(embed?.title, 'Sources (1)');
    assert.equal(embed?.description, '• **Title 0** — `source-0.md` · 20 passages · loaded <t:1767323045:R>');
    assert.deepEqual(
      embed?.fields?.map((f) => f.value),
      ['Xenova/all-MiniLM-L6-v2', '20', '1.5 KB, built <t:1767323045:R>'],
    );
  });

  it('says how many more there are when the list does not fit', () => {
    const description = formatSources(status(2000)).embeds[0]?.description ?? '';
    assert.ok(description.length <= LIMITS.embedDescription);
    assert.match(description, /… and \d+ more$/);
  });
});

describe('explainFailure', () => {
  it('shows a user-facing error as it is and a bug as an apology with the id that is logged', () => {
    assert.equal(explainFailure('reload', new UserFacingError('reload.busy', 'busy')), 'reload: busy');
    const lines: string[] = [];
    const restore = setLogSink((line) => lines.push(line));
    try {
      const text = explainFailure('reload', new Error('boom'));
      const id = /error id `([0-9a-f]{6})`/.exec(text)?.[1];
      assert.ok(id, text);
      assert.ok(lines.some((l) => l.includes(`bot: /reload failed (error id ${id})`) && l.includes('boom')));
    } finally {
      setLogSink(restore);
    }
  });
});

describe('progressReply', () => {
  function fakeInteraction() {
    const edits: string[] = [];
    const interaction = {
      commandName: 'reload',
      deferred: true,
      replied: false,
      ephemeral: true,
      async editReply(payload: { embeds: { description?: string }[] }) {
        edits.push(payload.embeds[0]?.description ?? '');
      },
    };
    return { edits, interaction: interaction as unknown as ChatInputCommandInteraction };
  }

  it('shows each new stage at once, throttles updates within a stage, then the final message', async () => {
    const { edits, interaction } = fakeInteraction();
    let clock = 0;
    const progress = progressReply(
      interaction,
      (stages) => formatReloadProgress(undefined, stages),
      () => clock,
    );
    progress.onProgress({ stage: 'loading' });
    progress.onProgress({ stage: 'embedding', done: 1, total: 9 });
    progress.onProgress({ stage: 'embedding', done: 2, total: 9 }); // within the interval: skipped
    clock += PROGRESS_EDIT_INTERVAL_MS;
    progress.onProgress({ stage: 'embedding', done: 3, total: 9 });
    await progress.finish(formatReloadSummary(summary()));
    assert.deepEqual(edits, [
      'Reloading… loading',
      'Reloading… loading → embedding 1/9',
      'Reloading… loading → embedding 3/9',
      '**Reloaded** 2 sources, 30 passages (3 added, 1 removed, 27 unchanged) in 1.2 s.',
    ]);
  });
});
