/**
 * Slash-command registration. The application id comes from Discord (the logged-in client, or the
 * token, whose first part is the bot user's id, which is the application id), so
 * DISCORD_CLIENT_ID is optional. On start the bot registers its commands only when they differ
 * from what Discord has — in GUILD_ID when set, else globally — so `npm run deploy` is optional.
 */
import { type REST, Routes } from 'discord.js';
import { UserFacingError } from '../errors.ts';
import type { Command } from './command-contract.ts';

/** The application id: DISCORD_CLIENT_ID when set, else the bot user id inside the token. */
export function applicationIdOf(config: { clientId: string | undefined; token: string }): string {
  if (config.clientId) return config.clientId;
  const id = Buffer.from(config.token.split('.')[0] ?? '', 'base64').toString('utf8');
  if (!/^\d{5,25}$/.test(id)) {
    throw new UserFacingError(
      'config',
      'cannot read the application id from DISCORD_TOKEN',
      'copy the Application ID from the developer portal into .env as DISCORD_CLIENT_ID',
    );
  }
  return id;
}

export function commandsRoute(applicationId: string, guildId: string | undefined): `/${string}` {
  return guildId
    ? Routes.applicationGuildCommands(applicationId, guildId)
    : Routes.applicationCommands(applicationId);
}

export function describeScope(guildId: string | undefined): string {
  return guildId ? `in server ${guildId}` : 'globally (other servers may take a moment to show them)';
}

/**
 * Whether what Discord has covers what we would send: every field we set is equal there. Discord
 * adds fields (id, version, …) and leaves out defaults (false, empty lists), which count as equal.
 */
export function sameDefinition(wanted: unknown, actual: unknown): boolean {
  if (Array.isArray(wanted)) {
    if (actual === undefined || actual === null) return wanted.length === 0;
    return (
      Array.isArray(actual) &&
      actual.length === wanted.length &&
      wanted.every((item, i) => sameDefinition(item, actual[i]))
    );
  }
  if (wanted && typeof wanted === 'object') {
    if (!actual || typeof actual !== 'object') return false;
    return Object.entries(wanted).every(([key, value]) =>
      sameDefinition(value, (actual as Record<string, unknown>)[key]),
    );
  }
  if (wanted === undefined) return true;
  if (actual === undefined || actual === null) return wanted === false || wanted === null;
  return String(wanted) === String(actual);
}

export function commandBodies(commands: Map<string, Command>): unknown[] {
  return [...commands.values()].map((c) => c.data.toJSON());
}

/** Registers the commands when Discord's list differs; returns whether it wrote. */
export async function syncCommands(
  rest: REST,
  applicationId: string,
  guildId: string | undefined,
  commands: Map<string, Command>,
): Promise<boolean> {
  const route = commandsRoute(applicationId, guildId);
  const body = commandBodies(commands);
  const existing = (await rest.get(route)) as { name: string }[];
  const byName = new Map(existing.map((c) => [c.name, c]));
  const upToDate =
    existing.length === body.length &&
    body.every((wanted) => sameDefinition(wanted, byName.get((wanted as { name: string }).name)));
  if (upToDate) return false;
  await rest.put(route, { body });
  return true;
}
