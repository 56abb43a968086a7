/**
 * Child process for the cold-start benchmark: open the index, answer once, report, answer 50 more,
 * report RSS. With `--ready-only` (a forced rebuild, whose RSS is not reported) it skips the 50.
 */
import { loadCoreConfig } from '../src/config.ts';
import { Quarry } from '../src/quarry.ts';

const quarry = new Quarry(loadCoreConfig());
await quarry.open();
await quarry.ask('How many time zones does Russia have?');
process.stdout.write('READY\n');
const questions = process.argv.includes('--ready-only') ? 0 : 50;
for (let i = 0; i < questions; i++)
  await quarry.ask(i % 2 ? 'Who opposes the plan?' : 'What share of rare earth reserves does Russia hold?');
process.stdout.write(`RSS ${process.memoryUsage().rss}\n`);
