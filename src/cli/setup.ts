/**
 * `npm run setup`: asks for the bot token (and optionally a server id) and writes `.env`, so
 * running the bot is `npm run setup && npm start`. An existing `.env` keeps its other lines;
 * a new one starts from `.env.example`, whose defaults are all commented out.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { applicationIdOf } from '../bot/register.ts';
import { UserFacingError } from '../errors.ts';
import { runCli } from './run.ts';

/**
 * The repository's .env.example, found by walking up: it is two folders above src/cli, but three
 * above the compiled dist/src/cli, where a fixed '../..' found no file (exit 2).
 */
function exampleFile(): string {
  for (let dir = import.meta.dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, '.env.example');
    if (existsSync(candidate) || dir === dirname(dir)) return candidate;
  }
}

/** Sets `key=value` in .env text: replaces the line (commented out or not), else appends it. */
export function setKey(text: string, key: string, value: string): string {
  const line = `${key}=${value}`;
  const pattern = new RegExp(`^#?\\s*${key}=.*$`, 'm');
  if (pattern.test(text)) return text.replace(pattern, line);
  return `${text.replace(/\n*$/, '\n')}${line}\n`;
}

runCli(async () => {
  const envPath = resolve('.env');
  const prompt = createInterface({ input: process.stdin, terminal: false });
  // Lines are read through the iterator, which buffers them: piped answers that arrive before
  // their question is asked are not lost (readline's question() would drop them).
  const lines = prompt[Symbol.asyncIterator]();
  const ask = async (question: string) => {
    process.stderr.write(question);
    const next = await lines.next();
    return next.done ? '' : String(next.value).trim();
  };
  try {
    process.stderr.write(
      'Quarry set-up. The bot token is in the Discord developer portal: your application → Bot → Reset Token.\n',
    );
    const token = await ask('DISCORD_TOKEN: ');
    if (!token)
      throw new UserFacingError('setup', 'no token given', 'run npm run setup again and paste the token');
    // The same check the bot makes, so a mistyped token is caught now, not at start.
    const applicationId = applicationIdOf({ clientId: undefined, token });
    const guild = await ask('GUILD_ID (optional, Enter to register commands globally): ');
    if (guild && !/^\d{5,25}$/.test(guild))
      throw new UserFacingError('setup', 'GUILD_ID must be a numeric id');
    let text = existsSync(envPath) ? readFileSync(envPath, 'utf8') : readFileSync(exampleFile(), 'utf8');
    text = setKey(text, 'DISCORD_TOKEN', token);
    if (guild) text = setKey(text, 'GUILD_ID', guild);
    writeFileSync(envPath, text, { mode: 0o600 });
    process.stdout.write(
      `setup: wrote ${envPath} (application ${applicationId}${guild ? `, server ${guild}` : ''}).\n` +
        `Invite the bot: https://discord.com/oauth2/authorize?client_id=${applicationId}&scope=bot%20applications.commands&permissions=19456\n` +
        'Then run: npm start\n',
    );
    return 0;
  } finally {
    prompt.close();
  }
});
