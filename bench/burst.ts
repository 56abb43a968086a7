/**
 * A burst of concurrent /ask through Discord's protocol: the real bot and discord.js against the
 * local stand-in of Discord from the tests (same process, loopback only).
 */
import type { CoreConfig } from '../src/config.ts';
import { startTestBot } from '../test/bot-harness.ts';
import { percentile, round } from './stats.ts';

/** `config` names an index already built (the bot loads it, as after a restart). */
export async function benchBurst(config: CoreConfig, questions: string[], count: number) {
  const harness = await startTestBot({ token: 'bench.token.value-bench-bench-bench', config });
  const { discord } = harness;
  try {
    const sent = Array.from({ length: count }, (_, i) => {
      const member = { id: String(400000000000000000n + BigInt(i)) };
      return discord.dispatchInteraction({
        name: 'ask',
        options: [{ name: 'question', type: 3, value: questions[i % questions.length] ?? 'rare earths' }],
        member,
      });
    });
    const outcomes = await Promise.all(
      sent.map(async (interaction) => {
        try {
          const ack = await discord.waitFor(interaction, (c) => c.path.endsWith('/callback'), 60000);
          const final = await discord.waitFor(interaction, (c) => c.method === 'PATCH', 120000);
          const failed = /Sorry, something went wrong/.test(JSON.stringify(final.body));
          return { ackMs: ack.at - interaction.sentAt, finalMs: final.at - interaction.sentAt, failed };
        } catch {
          return { ackMs: Number.POSITIVE_INFINITY, finalMs: Number.POSITIVE_INFINITY, failed: true };
        }
      }),
    );
    const finals = outcomes.filter((o) => !o.failed).map((o) => o.finalMs);
    return {
      asked: count,
      ackedWithin3s: outcomes.filter((o) => o.ackMs <= 3000).length,
      p50Ms: round(percentile(finals, 50), 0),
      p99Ms: round(percentile(finals, 99), 0),
      errors: outcomes.filter((o) => o.failed).length,
    };
  } finally {
    await harness.stop();
  }
}
