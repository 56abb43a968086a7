/** `npm run model:import -- <checkpoint dir> --out <dir> [--int8]` */
import { resolve } from 'node:path';
import { UserFacingError } from '../errors.ts';
import { describeInt8Agreement, importCheckpoint } from '../model/import-checkpoint.ts';
import { parseCommandArgs } from './args.ts';
import { runCli } from './run.ts';

runCli(async () => {
  const { values, positionals } = parseCommandArgs(
    'import',
    'npm run model:import -- <checkpoint dir> --out <dir> [--int8]',
    { out: { type: 'string' }, int8: { type: 'boolean', default: false } },
    { allowPositionals: true },
  );
  const [checkpoint] = positionals;
  if (!checkpoint || !values.out) {
    throw new UserFacingError(
      'import',
      'usage: npm run model:import -- <checkpoint dir> --out <dir> [--int8]',
    );
  }
  const started = performance.now();
  const result = await importCheckpoint(resolve(checkpoint), resolve(values.out), {
    int8: values.int8,
    onProgress: (m) => process.stderr.write(`import: ${m}\n`),
  });
  const files = result.files.map((f) => `${f.name} ${(f.bytes / 1048576).toFixed(1)} MB`).join(', ');
  const int8Line = describeInt8Agreement(result);
  if (int8Line) process.stderr.write(`${int8Line}\n`);
  process.stdout.write(
    `import: wrote ${result.outDir} (${files}; ${result.pooling} pooling, ${result.maxTokens} tokens) in ` +
      `${((performance.now() - started) / 1000).toFixed(1)} s\nUse it with EMBEDDING_MODEL=${result.outDir}\n`,
  );
  return 0;
});
