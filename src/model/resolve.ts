/**
 * From EMBEDDING_MODEL to the thing transformers.js loads, and to the model's identity.
 *
 * EMBEDDING_MODEL may be a catalog short name (`all-MiniLM-L6-v2`), its hub id
 * (`Xenova/all-MiniLM-L6-v2`), any other hub id, or a folder. A catalog model is looked up in
 * MODEL_CACHE_DIR/<name> (or the hub cache folder MODEL_CACHE_DIR/<hub id> an older Quarry
 * wrote) and fetched there on first use. Every spelling of one model — trailing `/`, relative or
 * absolute path, hub id or its cache folder — gets one identity, so the index is not rebuilt
 * because the same model was named differently.
 */
import { existsSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { UserFacingError } from '../errors.ts';
import type { ProgressListener } from '../progress.ts';
import { CATALOG, type CatalogModel, FETCH_DTYPES, type FetchDtype, findCatalogModel } from './catalog.ts';
import { fetchModel, modelFolder } from './fetch.ts';
import { hasModelFiles, readMarker } from './layout.ts';

export interface ModelSettings {
  embeddingModel: string;
  embeddingDtype: string;
  modelCacheDir: string;
  modelOffline: boolean;
  modelRemoteHost: string;
}

export interface ResolvedModel {
  /** What transformers.js is given: an absolute folder, or a hub id it downloads itself. */
  location: string;
  local: boolean;
  /** The model's name in the index: the catalog short name, else the hub id or the folder's real path. */
  identity: string;
  /** The catalog entry, when the model is one Quarry knows (its prefixes and pooling apply). */
  catalog: CatalogModel | undefined;
  /** The folder transformers.js caches a hub id in (for the fingerprint), when not local. */
  cacheFolder: string | undefined;
}

export interface ResolveHooks {
  onProgress?: ProgressListener;
  say?: (line: string) => void;
}

function looksLikePath(model: string): boolean {
  return (
    model.startsWith('.') ||
    model.startsWith('/') ||
    model.startsWith('~') ||
    model.includes('\\') ||
    model.split('/').filter(Boolean).length > 2
  );
}

function isDirectory(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

/** The catalog model a folder holds: by its marker, else by where it sits in the model cache. */
function catalogOfFolder(folder: string, cacheDir: string): CatalogModel | undefined {
  const marker = readMarker(folder);
  if (marker) return findCatalogModel(marker.name);
  const cache = isDirectory(cacheDir) ? realpathSync(cacheDir) : resolve(cacheDir);
  const inside = relative(cache, folder);
  if (!inside || inside.startsWith('..') || isAbsolute(inside)) return undefined;
  return findCatalogModel(inside.split(sep).join('/'));
}

function fetchable(dtype: string): dtype is FetchDtype {
  return (FETCH_DTYPES as readonly string[]).includes(dtype);
}

async function catalogFolder(
  model: CatalogModel,
  settings: ModelSettings,
  hooks: ResolveHooks,
): Promise<string> {
  const dtype = settings.embeddingDtype;
  const own = modelFolder(settings.modelCacheDir, model);
  if (hasModelFiles(own, dtype)) return own;
  // Where transformers.js cached the hub download before models had their own folders.
  const hubCache = join(settings.modelCacheDir, ...model.hubId.split('/'));
  if (hasModelFiles(hubCache, dtype)) return hubCache;
  if (!fetchable(dtype)) {
    throw new UserFacingError(
      'model',
      `${model.name} has no ${dtype} variant in ${settings.modelCacheDir}, and Quarry can fetch only ${FETCH_DTYPES.join(', ')}`,
      `set EMBEDDING_DTYPE to one of ${FETCH_DTYPES.join(', ')}`,
    );
  }
  const result = await fetchModel(model, {
    cacheDir: settings.modelCacheDir,
    remoteHost: settings.modelRemoteHost,
    useHub: !settings.modelOffline,
    dtypes: [dtype],
    ...(hooks.onProgress ? { onProgress: hooks.onProgress } : {}),
    ...(hooks.say ? { say: hooks.say } : {}),
  });
  return result.dir;
}

export async function resolveModel(
  settings: ModelSettings,
  hooks: ResolveHooks = {},
): Promise<ResolvedModel> {
  const raw = settings.embeddingModel.trim();
  const asPath = resolve(raw);
  if (isDirectory(asPath)) {
    const folder = realpathSync(asPath);
    const catalog = catalogOfFolder(folder, settings.modelCacheDir);
    return {
      location: folder,
      local: true,
      identity: catalog?.name ?? folder,
      catalog,
      cacheFolder: undefined,
    };
  }
  if (looksLikePath(raw) || isAbsolute(raw)) {
    throw new UserFacingError(
      'embedder',
      `EMBEDDING_MODEL points to "${raw}", which is not a directory`,
      `set EMBEDDING_MODEL to a model name (${CATALOG.map((m) => m.name).join(', ')}), a hub id, or a folder with config.json and onnx/model.onnx`,
    );
  }
  const catalog = findCatalogModel(raw);
  if (catalog) {
    const folder = await catalogFolder(catalog, settings, hooks);
    return { location: folder, local: true, identity: catalog.name, catalog, cacheFolder: undefined };
  }
  const hubId = raw.replace(/\/+$/, '');
  return {
    location: hubId,
    local: false,
    identity: hubId,
    catalog: undefined,
    cacheFolder: join(settings.modelCacheDir, ...hubId.split('/')),
  };
}
