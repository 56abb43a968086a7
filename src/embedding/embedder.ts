/**
 * Sentence embeddings with @huggingface/transformers (feature extraction, mean pooling,
 * L2-normalised). The pipeline is loaded once per model and shared (lazy singleton promise):
 * concurrent first callers wait for the same load instead of loading twice.
 *
 * EMBEDDING_MODEL is a hub id (downloaded once into MODEL_CACHE_DIR) or a local directory in the
 * transformers.js layout (config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { FeatureExtractionPipeline } from '@huggingface/transformers';
import type { CoreConfig } from '../config.ts';
import { errorMessage, UserFacingError } from '../errors.ts';
import { sha256 } from '../hash.ts';
import { log } from '../log.ts';
import type { ProgressListener } from '../progress.ts';
import { type Pooling, poolingMode } from './pooling.ts';

export interface Embedder {
  /** What the index records: the model as configured, plus dtype. */
  readonly modelId: string;
  /** Changes when the model's files change, so a rebuilt local model invalidates the index. */
  readonly fingerprint: string;
  readonly dimension: number;
  /** Largest passage, in word pieces including special tokens, that is embedded without truncation. */
  readonly maxTokens: number;
  countTokens(text: string): number;
  /** The word-piece ids of a text, without special tokens (the answer check reads word rarity). */
  wordPieces(text: string): number[];
  embed(texts: string[], kind: 'query' | 'passage', onProgress?: ProgressListener): Promise<Float32Array[]>;
}

type EmbedderSettings = Pick<
  CoreConfig,
  | 'embeddingModel'
  | 'embeddingDtype'
  | 'modelCacheDir'
  | 'modelOffline'
  | 'modelRemoteHost'
  | 'queryPrefix'
  | 'passagePrefix'
  | 'onnxThreads'
  | 'passageMaxTokens'
>;

/**
 * Texts per model call. Inference blocks the event loop for the whole call (measured: 50
 * concurrent query embeddings left a 1 ms timer one tick in 300 ms), so batches stay small enough
 * that Discord acks and gateway heartbeats waiting behind one never wait long.
 */
const BATCH_SIZE = 16;

function looksLikePath(model: string): boolean {
  return (
    model.startsWith('.') ||
    model.startsWith('/') ||
    model.startsWith('~') ||
    model.includes('\\') ||
    model.split('/').length > 2
  );
}

/** A local directory as an absolute path, or null for a hub id. */
export function resolveLocalModel(model: string): string | null {
  const candidate = resolve(model);
  if (existsSync(candidate) && statSync(candidate).isDirectory()) return candidate;
  if (looksLikePath(model) || isAbsolute(model)) {
    throw new UserFacingError(
      'embedder',
      `EMBEDDING_MODEL points to "${model}", which is not a directory`,
      'set EMBEDDING_MODEL to a hub id (e.g. Xenova/all-MiniLM-L6-v2) or to a folder with config.json and onnx/model.onnx',
    );
  }
  return null;
}

/** The file transformers.js loads for a dtype, inside the model folder. */
function onnxFileFor(dtype: string): string {
  return join('onnx', dtype === 'fp32' ? 'model.onnx' : `model_${dtype === 'q8' ? 'quantized' : dtype}.onnx`);
}

function localFingerprint(dir: string, dtype: string): string {
  const parts = ['config.json', 'tokenizer.json'].map((f) => {
    const path = join(dir, f);
    return existsSync(path) ? sha256(readFileSync(path)) : 'missing';
  });
  const onnx = join(dir, onnxFileFor(dtype));
  if (existsSync(onnx)) {
    const s = statSync(onnx);
    parts.push(`${s.size}:${s.mtimeMs}`);
  }
  return sha256(parts.join('|')).slice(0, 16);
}

async function loadPipeline(
  settings: EmbedderSettings,
  onProgress?: ProgressListener,
): Promise<{ extractor: FeatureExtractionPipeline; location: string; local: boolean }> {
  const { env, pipeline } = await import('@huggingface/transformers');
  const localDir = resolveLocalModel(settings.embeddingModel);
  env.allowLocalModels = true;
  env.allowRemoteModels = !settings.modelOffline && !localDir;
  env.remoteHost = settings.modelRemoteHost.endsWith('/')
    ? settings.modelRemoteHost
    : `${settings.modelRemoteHost}/`;
  env.cacheDir = settings.modelCacheDir;
  env.useFSCache = true;
  const location = localDir ?? settings.embeddingModel;
  const variant = onnxFileFor(settings.embeddingDtype);
  // The import drops an int8 variant that disagrees with fp32, so a folder with only the fp32
  // file is an expected state that deserves its own message.
  if (
    localDir &&
    variant !== onnxFileFor('fp32') &&
    existsSync(join(localDir, onnxFileFor('fp32'))) &&
    !existsSync(join(localDir, variant))
  ) {
    throw new UserFacingError(
      'embedder',
      `${localDir} (EMBEDDING_MODEL) has no ${settings.embeddingDtype} variant (${variant})`,
      'set EMBEDDING_DTYPE=fp32, or re-import the model with --int8 if its int8 variant passes the check',
    );
  }
  const downloads = new Map<string, { loaded: number; total: number }>();
  try {
    const extractor = await pipeline('feature-extraction', location, {
      dtype: settings.embeddingDtype,
      cache_dir: settings.modelCacheDir,
      ...(settings.onnxThreads > 0
        ? { session_options: { intraOpNumThreads: settings.onnxThreads, interOpNumThreads: 1 } }
        : {}),
      progress_callback: (info: { status: string; file?: string; loaded?: number; total?: number }) => {
        if (info.status !== 'progress' || !info.file || !info.total || localDir) return;
        downloads.set(info.file, { loaded: info.loaded ?? 0, total: info.total });
        const all = [...downloads.values()];
        const mb = (n: number) => Math.round(n / 1048576);
        onProgress?.({
          stage: 'downloading',
          done: mb(all.reduce((a, d) => a + d.loaded, 0)),
          total: mb(all.reduce((a, d) => a + d.total, 0)),
          detail: `MB of ${settings.embeddingModel}`,
        });
      },
    });
    return { extractor, location, local: Boolean(localDir) };
  } catch (error) {
    const reason = errorMessage(error).split('\n')[0];
    if (localDir) {
      throw new UserFacingError(
        'embedder',
        `cannot load the model in ${localDir} (EMBEDDING_MODEL): ${reason}`,
        'the folder needs config.json, tokenizer.json and onnx/model.onnx; re-import or re-download it',
      );
    }
    if (settings.modelOffline) {
      throw new UserFacingError(
        'embedder',
        `model "${settings.embeddingModel}" (EMBEDDING_MODEL) is not in the cache ${settings.modelCacheDir} and MODEL_OFFLINE is set`,
        'run once with network access, or point EMBEDDING_MODEL to a local model folder',
      );
    }
    throw new UserFacingError(
      'embedder',
      `cannot download model "${settings.embeddingModel}" (EMBEDDING_MODEL) from ${settings.modelRemoteHost}: ${reason}`,
      'check the model id and your network, or point EMBEDDING_MODEL to a local model folder',
    );
  }
}

/** sentence-transformers' pooling config, when the model folder has one (bge uses CLS pooling). */
function poolingOf(location: string, local: boolean): Pooling {
  const path = join(location, '1_Pooling', 'config.json');
  if (!local || !existsSync(path)) return 'mean';
  try {
    return poolingMode(JSON.parse(readFileSync(path, 'utf8'))) ?? 'mean';
  } catch {
    return 'mean';
  }
}

async function createEmbedder(settings: EmbedderSettings, onProgress?: ProgressListener): Promise<Embedder> {
  const { extractor, location, local } = await loadPipeline(settings, onProgress);
  const pooling = poolingOf(location, local);
  const tokenizer = extractor.tokenizer;
  const config = extractor.model.config as unknown as Record<string, unknown>;
  const modelLimit = Math.min(
    Number(tokenizer.model_max_length) || Number.POSITIVE_INFINITY,
    Number(config.max_position_embeddings) || Number.POSITIVE_INFINITY,
  );
  const maxTokens = Math.min(settings.passageMaxTokens, modelLimit);
  const countTokens = (text: string) => tokenizer.encode(text).length;

  // One model call at a time, each after a turn of the event loop: concurrent callers (a burst
  // of questions, a reload) queue here instead of starving network I/O between them.
  let tail: Promise<unknown> = Promise.resolve();
  function serially<T>(work: () => Promise<T>): Promise<T> {
    const run = tail.then(() => new Promise((resolve) => setImmediate(resolve))).then(work);
    tail = run.catch(() => undefined);
    return run;
  }

  async function embedBatch(texts: string[]): Promise<Float32Array[]> {
    const output = await serially(() => extractor(texts, { pooling, normalize: true }));
    const [rows, dim] = output.dims as [number, number];
    const data = output.data as Float32Array;
    return Array.from({ length: rows }, (_, i) => data.slice(i * dim, (i + 1) * dim));
  }

  const probe = await embedBatch(['dimension probe']);
  const dimension = probe[0]?.length ?? 0;
  if (!dimension)
    throw new UserFacingError('embedder', `model "${settings.embeddingModel}" returned an empty embedding`);

  return {
    modelId: `${settings.embeddingModel}#${settings.embeddingDtype}`,
    fingerprint: local ? localFingerprint(location, settings.embeddingDtype) : 'hub',
    dimension,
    maxTokens,
    countTokens: (text) => countTokens(settings.passagePrefix + text),
    wordPieces: (text) => tokenizer.encode(text, { add_special_tokens: false }),
    async embed(texts, kind, onProgress) {
      const prefix = kind === 'query' ? settings.queryPrefix : settings.passagePrefix;
      // Batches of similar length waste less work on padding; results go back in input order.
      const order = texts.map((_, i) => i).sort((a, b) => (texts[a]?.length ?? 0) - (texts[b]?.length ?? 0));
      const vectors: Float32Array[] = new Array(texts.length);
      let done = 0;
      for (let i = 0; i < order.length; i += BATCH_SIZE) {
        const indices = order.slice(i, i + BATCH_SIZE);
        const batch = await embedBatch(indices.map((index) => prefix + (texts[index] ?? '')));
        indices.forEach((index, j) => {
          const v = batch[j];
          if (v) vectors[index] = v;
        });
        done += indices.length;
        onProgress?.({ stage: 'embedding', done, total: texts.length });
      }
      return vectors;
    },
  };
}

const embedders = new Map<string, Promise<Embedder>>();

/** The shared embedder for these settings; loads the model on first call only. */
export function getEmbedder(settings: EmbedderSettings, onProgress?: ProgressListener): Promise<Embedder> {
  const key = JSON.stringify([
    settings.embeddingModel,
    settings.embeddingDtype,
    settings.modelCacheDir,
    settings.modelOffline,
    settings.modelRemoteHost,
    settings.queryPrefix,
    settings.passagePrefix,
    settings.onnxThreads,
    settings.passageMaxTokens,
  ]);
  let promise = embedders.get(key);
  if (!promise) {
    const started = Date.now();
    promise = createEmbedder(settings, onProgress).then((embedder) => {
      log.debug(
        `embedder: ${embedder.modelId} ready in ${Date.now() - started} ms (${embedder.dimension} dimensions)`,
      );
      return embedder;
    });
    // A failed load must not be cached forever: the next caller tries again.
    promise.catch(() => embedders.delete(key));
    embedders.set(key, promise);
  }
  return promise;
}
