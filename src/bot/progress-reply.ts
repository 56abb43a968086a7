/**
 * Progress of a long command shown by editing its (deferred) reply, for any command that takes
 * a ProgressListener: each new stage is shown at once, updates within a stage at most once per
 * PROGRESS_EDIT_INTERVAL_MS, edits go out one at a time and in order, and a failed progress
 * edit is only logged (the work goes on; the final message is what matters).
 */
import type { ChatInputCommandInteraction } from 'discord.js';
import { log } from '../log.ts';
import { describeProgress, type ProgressEvent, type ProgressListener } from '../progress.ts';
import type { MessageData } from './format.ts';
import { respond } from './respond.ts';

/** Discord rate-limits edits of one message, and a member cannot read faster anyway. */
export const PROGRESS_EDIT_INTERVAL_MS = 1000;

export interface ProgressReply {
  onProgress: ProgressListener;
  /** Waits for progress edits already sent, then shows the final message. */
  finish(message: MessageData): Promise<void>;
}

/** `render` turns the stages so far ("loading", "embedding 120/400"…) into the message. */
export function progressReply(
  interaction: ChatInputCommandInteraction,
  render: (stages: readonly string[]) => MessageData,
  now: () => number = Date.now,
): ProgressReply {
  const stages: string[] = [];
  let lastStage: ProgressEvent['stage'] | null = null;
  let lastEdit = Number.NEGATIVE_INFINITY;
  let edits = Promise.resolve();
  return {
    onProgress(event) {
      const label = describeProgress(event);
      const isNewStage = event.stage !== lastStage;
      lastStage = event.stage;
      if (isNewStage) stages.push(label);
      else stages[stages.length - 1] = label;
      if (!isNewStage && now() - lastEdit < PROGRESS_EDIT_INTERVAL_MS) return;
      lastEdit = now();
      const message = render(stages);
      edits = edits
        .then(() => respond(interaction, message, { followUpOnServerError: false }))
        .catch((error) => log.warn(`bot: could not show /${interaction.commandName} progress:`, error));
    },
    async finish(message) {
      await edits;
      await respond(interaction, message);
    },
  };
}
