/**
 * Loads every command module in commands/ (one file per slash command, discord.js-guide style)
 * and checks each against the contract in command-contract.ts.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type Command, isCommand } from './command-contract.ts';

const COMMANDS_DIR = fileURLToPath(new URL('../../commands/', import.meta.url));

export async function loadCommands(dir = COMMANDS_DIR): Promise<Map<string, Command>> {
  const commands = new Map<string, Command>();
  const files = (await readdir(dir)).filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts')).sort();
  for (const file of files) {
    const module: unknown = await import(pathToFileURL(join(dir, file)).href);
    if (!isCommand(module))
      throw new Error(
        `bot: commands/${file} must export "data" and "execute" (and "guards", if any, as a list of functions)`,
      );
    if (commands.has(module.data.name))
      throw new Error(`bot: two command modules are named /${module.data.name}`);
    commands.set(module.data.name, module);
  }
  return commands;
}
