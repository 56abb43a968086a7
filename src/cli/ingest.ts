/** `npm run ingest`: builds or refreshes the index from SOURCES_DIR, with progress and a summary. */
import { loadCoreConfig } from '../config.ts';
import { terminalProgress } from '../progress.ts';
import { Quarry } from '../quarry.ts';
import { parseCommandArgs } from './args.ts';
import { runCli } from './run.ts';

runCli(async () => {
  const { values } = parseCommandArgs('ingest', 'npm run ingest -- [--only <source>] [--json]', {
    only: { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  const config = loadCoreConfig();
  const quarry = new Quarry(config);
  const progress = terminalProgress();
  const summary = await quarry.reload({
    onProgress: progress,
    ...(values.only ? { only: values.only } : {}),
  });
  progress.end();
  if (values.json) {
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    return 0;
  }
  const skipped = summary.skipped.length ? `, ${summary.skipped.length} skipped` : '';
  process.stdout.write(
    `ingest: ${summary.sources} sources${skipped}, ${summary.passages} passages ` +
      `(${summary.added} added, ${summary.removed} removed, ${summary.unchanged} unchanged; ` +
      `${summary.embedded} texts embedded) in ${summary.seconds.toFixed(2)} s → ${config.indexDir}\n`,
  );
  return 0;
});
