/** The command loader checks each module in commands/ against the contract, guards included. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadCommands } from '../src/bot/command-loader.ts';
import { cooldown, moderatorOnly } from '../src/bot/guards.ts';
import { maySourcesChange, notWhileChanging } from '../src/bot/scope.ts';
import { tempDir } from './helpers.ts';

const MODULE = `export const data = { name: 'x', toJSON: () => ({ name: 'x', description: 'x' }) };
export async function execute() {}
`;

describe('loadCommands', () => {
  it('loads the shipped commands with the guards they declare', async () => {
    const commands = await loadCommands();
    assert.deepEqual([...commands.keys()], ['Ask Quarry', 'ask', 'gaps', 'reload', 'sources', 'stats']);
    assert.deepEqual(commands.get('ask')?.guards, [cooldown]);
    assert.deepEqual(commands.get('Ask Quarry')?.guards, [cooldown], 'same cooldown as /ask');
    assert.deepEqual(commands.get('gaps')?.guards, [moderatorOnly]);
    assert.deepEqual(commands.get('stats')?.guards, [moderatorOnly]);
    // Per-server sources: moderators for their server, BOT_OWNER_IDS for the shared ones.
    assert.deepEqual(commands.get('reload')?.guards, [maySourcesChange, notWhileChanging]);
    assert.deepEqual(commands.get('sources')?.guards, [maySourcesChange]);
  });

  it('refuses a module whose guards are not a list of functions', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'x.ts'), `${MODULE}export const guards = ['moderator'];\n`);
    await assert.rejects(loadCommands(dir), /commands\/x\.ts must export "data" and "execute"/);
  });

  it('loads a module that declares no guards', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'x.ts'), MODULE);
    assert.deepEqual([...(await loadCommands(dir)).keys()], ['x']);
  });
});
