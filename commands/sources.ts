/**
 * /sources list | add | remove | show | log — what Quarry quotes from in this server, and, for
 * moderators, changing it: add a file or a web page, remove one (after a confirmation button),
 * see what members will be quoted, and the audit log. Only this server's sources can be named;
 * the shared ones are changed only by BOT_OWNER_IDS (`shared: true`).
 */
import { randomBytes } from 'node:crypto';
import {
  ActionRowBuilder,
  type AutocompleteInteraction,
  ButtonBuilder,
  type ButtonInteraction,
  ButtonStyle,
  type ChatInputCommandInteraction,
  InteractionContextType,
  MessageFlags,
  SlashCommandBuilder,
} from 'discord.js';
import type { BotContext } from '../src/bot/command-contract.ts';
import { explainFailure } from '../src/bot/failure.ts';
import { formatSources, truncate } from '../src/bot/format.ts';
import {
  codeName,
  describeAdded,
  formatAdded,
  formatAddFailed,
  formatAddProgress,
  formatAuditLog,
  formatNotRemoved,
  formatRemoved,
  formatRemoveQuestion,
  formatShownSource,
} from '../src/bot/format-sources.ts';
import { isOwner } from '../src/bot/permissions.ts';
import { progressReply } from '../src/bot/progress-reply.ts';
import { defer, NO_MENTIONS, notice, respond } from '../src/bot/respond.ts';
import { auditKey, baseFor, maySourcesChange, recordChange, SHARED } from '../src/bot/scope.ts';
import { UserFacingError } from '../src/errors.ts';
import { fromAttachment, fromUrl } from '../src/servers/incoming.ts';
import type { KnowledgeBase } from '../src/servers/knowledge-base.ts';

const sourceOption = (description: string) => (option: import('discord.js').SlashCommandStringOption) =>
  option.setName('source').setDescription(description).setRequired(true).setAutocomplete(true);
const sharedOption = (option: import('discord.js').SlashCommandBooleanOption) =>
  option.setName('shared').setDescription('Bot owners: the shared sources instead of this server’s');

export const data = new SlashCommandBuilder()
  .setName('sources')
  .setDescription('The sources Quarry quotes from in this server.')
  .setContexts(InteractionContextType.Guild)
  .addSubcommand((sub) => sub.setName('list').setDescription('List the sources, with passage counts'))
  .addSubcommand((sub) =>
    sub
      .setName('add')
      .setDescription('Moderators: add a .txt, .md, .html or .pdf file, or a web page')
      .addAttachmentOption((o) => o.setName('file').setDescription('The file to add'))
      .addStringOption((o) => o.setName('url').setDescription('Or the address of a web page or PDF'))
      .addBooleanOption(sharedOption),
  )
  .addSubcommand((sub) =>
    sub
      .setName('remove')
      .setDescription('Moderators: remove a source (asks to confirm)')
      .addStringOption(sourceOption('The source to remove'))
      .addBooleanOption(sharedOption),
  )
  .addSubcommand((sub) =>
    sub
      .setName('show')
      .setDescription('What members will be quoted from a source (only you see it)')
      .addStringOption(sourceOption('The source to show')),
  )
  .addSubcommand((sub) =>
    sub
      .setName('log')
      .setDescription('Moderators: who added, removed or reloaded sources, and when')
      .addBooleanOption(sharedOption),
  );

async function list(interaction: ChatInputCommandInteraction, { knowledgeBases }: BotContext): Promise<void> {
  await defer(interaction, true);
  const server = interaction.guildId ? knowledgeBases.forServer(interaction.guildId) : null;
  const own = server ? await server.list() : [];
  const shared = (await knowledgeBases.shared.hasContent())
    ? await knowledgeBases.shared.quarry.status()
    : null;
  const sources = [
    ...own.map((s) => ({ ...s, title: `(this server) ${s.title}` })),
    ...(shared?.sources ?? []),
  ];
  await respond(
    interaction,
    formatSources({
      model: shared?.model ?? 'none loaded yet',
      builtAt: shared?.builtAt ?? new Date().toISOString(),
      bytes: shared?.bytes ?? 0,
      passages: own.reduce((n, s) => n + s.passages, 0) + (shared?.passages ?? 0),
      sources: sources.map((s) => ({
        id: s.id,
        title: s.title,
        passages: s.passages,
        loadedAt: s.loadedAt,
        contentHash: '',
      })),
    }),
  );
}

async function add(interaction: ChatInputCommandInteraction, context: BotContext): Promise<void> {
  const shared = interaction.options.getBoolean('shared') ?? false;
  const base = baseFor(interaction, context, shared);
  const attachment = interaction.options.getAttachment('file');
  const url = interaction.options.getString('url')?.trim();
  if (Boolean(attachment) === Boolean(url)) {
    throw new UserFacingError(
      'sources',
      'give either a file or a url',
      'attach one file, or type one address',
    );
  }
  await defer(interaction, true);
  const name = attachment?.name ?? url ?? '';
  const progress = progressReply(interaction, (stages) => formatAddProgress(name, stages));
  const { config } = context;
  const core = context.knowledgeBases.config;
  const limits = { maxBytes: core.maxSourceBytes, timeoutMs: core.urlFetchTimeoutMs };
  try {
    progress.onProgress({ stage: 'loading' });
    const prepared = attachment
      ? await fromAttachment(attachment, { ...limits, hosts: config.attachmentHosts })
      : await fromUrl(url ?? '', { ...limits, urlSourcesFile: core.urlSourcesFile });
    const added = await base.add(prepared, {
      addedBy: interaction.user.id,
      ...(base.scope.kind === 'server' ? { maxSources: core.maxSourcesPerServer } : {}),
      onProgress: progress.onProgress,
    });
    const detail = describeAdded(added);
    recordChange(context, {
      base,
      actorId: interaction.user.id,
      action: 'add',
      source: added.id,
      outcome: 'ok',
      detail,
    });
    await progress.finish(formatAdded(added));
  } catch (error) {
    const reason = explainFailure('sources add', error);
    recordChange(context, {
      base,
      actorId: interaction.user.id,
      action: 'add',
      source: name.slice(0, 200),
      outcome: error instanceof UserFacingError ? 'refused' : 'failed',
      detail: reason,
    });
    await progress.finish(formatAddFailed(reason));
  }
}

interface PendingRemoval {
  key: string;
  shared: boolean;
  id: string;
  userId: string;
  expires: number;
}

/** Confirmations waiting for a button, by token; they expire so a stale button does nothing. */
const pendingRemovals = new Map<string, PendingRemoval>();
const CONFIRM_MS = 5 * 60_000;

async function remove(interaction: ChatInputCommandInteraction, context: BotContext): Promise<void> {
  const shared = interaction.options.getBoolean('shared') ?? false;
  const base = baseFor(interaction, context, shared);
  const id = interaction.options.getString('source', true);
  if (!(await base.sourceIds()).includes(id)) {
    throw new UserFacingError('sources', `there is no source named "${id}" here`, 'pick one from the list');
  }
  const now = Date.now();
  for (const [token, p] of pendingRemovals) if (p.expires < now) pendingRemovals.delete(token);
  const token = randomBytes(8).toString('hex');
  pendingRemovals.set(token, {
    key: auditKey(base),
    shared,
    id,
    userId: interaction.user.id,
    expires: now + CONFIRM_MS,
  });
  const listed = (await base.list()).find((s) => s.id === id);
  await interaction.reply({
    content: formatRemoveQuestion(id, listed, shared),
    components: [
      new ActionRowBuilder<ButtonBuilder>().addComponents(
        new ButtonBuilder()
          .setCustomId(`sources:remove:${token}`)
          .setLabel('Remove')
          .setStyle(ButtonStyle.Danger),
        new ButtonBuilder()
          .setCustomId(`sources:cancel:${token}`)
          .setLabel('Cancel')
          .setStyle(ButtonStyle.Secondary),
      ),
    ],
    flags: MessageFlags.Ephemeral,
    allowedMentions: NO_MENTIONS,
  });
}

export async function button(interaction: ButtonInteraction, context: BotContext): Promise<void> {
  const [, action, token = ''] = interaction.customId.split(':');
  const request = pendingRemovals.get(token);
  const update = (content: string) =>
    interaction.update({ content, components: [], allowedMentions: NO_MENTIONS });
  if (!request || request.expires < Date.now()) {
    await update('This confirmation has expired; run `/sources remove` again.');
    return;
  }
  if (request.userId !== interaction.user.id) {
    await interaction.reply({
      content: 'Only the moderator who asked can confirm this.',
      flags: MessageFlags.Ephemeral,
      allowedMentions: NO_MENTIONS,
    });
    return;
  }
  pendingRemovals.delete(token);
  if (action !== 'remove') {
    await update('Nothing was removed.');
    return;
  }
  let base: KnowledgeBase;
  try {
    // Checked again: the member may have lost the role since asking.
    base = baseFor(interaction, context, request.shared);
    if (auditKey(base) !== request.key)
      throw new UserFacingError('sources', 'this confirmation is for another server');
  } catch (error) {
    await update(explainFailure('sources remove', error));
    return;
  }
  await update(`Removing ${codeName(request.id)}…`);
  const record = { base, actorId: interaction.user.id, action: 'remove' as const, source: request.id };
  try {
    const summary = await base.remove(request.id);
    recordChange(context, { ...record, outcome: 'ok', detail: `${summary.passages} passages remain` });
    await interaction.editReply({
      content: formatRemoved(request.id, summary),
      allowedMentions: NO_MENTIONS,
    });
  } catch (error) {
    const reason = explainFailure('sources remove', error);
    recordChange(context, { ...record, outcome: 'failed', detail: reason });
    await interaction.editReply({
      content: formatNotRemoved(reason),
      allowedMentions: NO_MENTIONS,
    });
  }
}

async function show(interaction: ChatInputCommandInteraction, { knowledgeBases }: BotContext): Promise<void> {
  const id = interaction.options.getString('source', true);
  await defer(interaction, true);
  const server = interaction.guildId ? knowledgeBases.forServer(interaction.guildId) : null;
  // This server's sources first, then the shared ones: never another server's.
  const base = server && (await server.sourceIds()).includes(id) ? server : knowledgeBases.shared;
  await respond(interaction, formatShownSource(await base.show(id), base.scope.kind));
}

async function auditLog(interaction: ChatInputCommandInteraction, context: BotContext): Promise<void> {
  const shared = interaction.options.getBoolean('shared') ?? false;
  const base = baseFor(interaction, context, shared);
  if (!context.audit) {
    await notice(
      interaction,
      'The audit log is unavailable: the database could not be opened (see the bot’s log).',
    );
    return;
  }
  const entries = await context.audit.recent(shared ? SHARED : auditKey(base), 15);
  await respond(interaction, formatAuditLog(entries, shared), { ephemeral: true });
}

/** list and show are for everyone; add, remove and log check the member (scope.ts). */
export const guards = [maySourcesChange];

export async function execute(interaction: ChatInputCommandInteraction, context: BotContext): Promise<void> {
  const sub = interaction.options.getSubcommand(false) ?? 'list';
  if (sub === 'add') return add(interaction, context);
  if (sub === 'remove') return remove(interaction, context);
  if (sub === 'show') return show(interaction, context);
  if (sub === 'log') return auditLog(interaction, context);
  return list(interaction, context);
}

export async function autocomplete(
  interaction: AutocompleteInteraction,
  { knowledgeBases, config }: BotContext,
): Promise<void> {
  const typed = interaction.options.getFocused().toLowerCase();
  const sub = interaction.options.getSubcommand(false);
  const shared = interaction.options.getBoolean('shared') ?? false;
  const bases: KnowledgeBase[] = [];
  if (interaction.guildId) bases.push(knowledgeBases.forServer(interaction.guildId));
  // show: the shared sources too (anyone may read them); remove: only what this member may remove.
  if (sub === 'show' || (shared && isOwner(interaction.user.id, config.ownerIds)))
    bases.push(knowledgeBases.shared);
  if (sub === 'remove' && shared) bases.shift();
  const ids = (await Promise.all(bases.map((b) => b.sourceIds()))).flat();
  await interaction.respond(
    ids
      .filter((id) => id.toLowerCase().includes(typed))
      .slice(0, 25)
      .map((id) => ({ name: truncate(id, 100), value: id.slice(0, 100) })),
  );
}
