/**
 * What a member is told when a command fails. A UserFacingError is shown as it is (it says what
 * to do); anything else is a bug: the member gets a short apology with an error id, the log gets
 * the details under the same id (tokens redacted by the logger).
 */
import { randomBytes } from 'node:crypto';
import type { RepliableInteraction } from 'discord.js';
import { isUserFacing } from '../errors.ts';
import { log } from '../log.ts';
import { describeInteraction, notice } from './respond.ts';

/** The member-facing text for `error`; logs a bug with a fresh error id. */
export function explainFailure(commandName: string, error: unknown): string {
  return explain(`/${commandName}`, error);
}

/** `what`: how the log names the interaction (`/ask`, `Ask Quarry`, `button fb:up:12`). */
function explain(what: string, error: unknown): string {
  if (isUserFacing(error)) return error.message;
  const id = randomBytes(3).toString('hex');
  log.error(`bot: ${what} failed (error id ${id}):`, error);
  return `Sorry, something went wrong (error id \`${id}\`). The details are in the bot's log.`;
}

/** Tells the member privately; if even that fails, the log says so (nothing is thrown). */
export async function reportFailure(interaction: RepliableInteraction, error: unknown): Promise<void> {
  const text = explain(describeInteraction(interaction), error);
  try {
    await notice(interaction, text);
  } catch (deliveryError) {
    log.warn(
      `bot: could not tell the member that ${describeInteraction(interaction)} failed:`,
      deliveryError,
    );
  }
}
