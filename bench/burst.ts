/**
 * A burst of concurrent /ask through Discord's protocol: the real bot and discord.js against the
 * local stand-in of Discord from the tests (same process, loopback only).
 */
import { startBot } from '../src/bot/client.ts';
import { loadCommands } from '../src/bot/commands.ts';
import { loadBotConfig } from '../src/config.ts';
import type { Quarry } from '../src/quarry.ts';
import { startDiscordStandIn } from '../test/discord-stand-in.ts';
import { percentile, round } from './stats.ts';

export async function benchBurst(quarry: Quarry, questions: string[], count: number) {
  const discord = await startDiscordStandIn();
  const config = {
    ...loadBotConfig({ DISCORD_TOKEN: 'bench.token.value-bench-bench-bench', ASK_COOLDOWN_SECONDS: '0' }),
    restApi: discord.restApi,
  };
  const bot = await startBot({ config, quarry, commands: await loadCommands() });
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
    await bot.stop();
    await discord.close();
  }
}
