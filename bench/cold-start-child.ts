/** Child process for the cold-start benchmark: open the index, answer once, report, answer 50 more, report RSS. */
import { loadCoreConfig } from '../src/config.ts';
import { Quarry } from '../src/quarry.ts';

const quarry = new Quarry(loadCoreConfig());
await quarry.open();
await quarry.ask('How many time zones does Russia have?');
process.stdout.write('READY\n');
for (let i = 0; i < 50; i++)
  await quarry.ask(i % 2 ? 'Who opposes the plan?' : 'What share of rare earth reserves does Russia hold?');
process.stdout.write(`RSS ${process.memoryUsage().rss}\n`);
