/**
 * Turns a sentence-transformers checkpoint of the BERT or MPNet family (config.json, model.safetensors,
 * tokenizer files, 1_Pooling/config.json) into the folder layout transformers.js loads:
 * config.json, tokenizer.json, tokenizer_config.json, 1_Pooling/config.json and onnx/model.onnx
 * (plus onnx/model_int8.onnx with `int8`). No Python, no hub: the ONNX graph is written directly.
 */

import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Pooling, poolingMode } from '../embedding/pooling.ts';
import { UserFacingError } from '../errors.ts';
import { cosineAt } from '../search/vectors.ts';
import { buildEncoderGraph, type EncoderConfig, type EncoderFamily } from './encoder-graph.ts';
import { encodeModel } from './onnx.ts';
import { readSafetensors, type Tensor } from './safetensors.ts';

const SUPPORTED_TYPES = new Set<string>(['bert', 'mpnet'] satisfies EncoderFamily[]);

export interface ImportResult {
  outDir: string;
  files: { name: string; bytes: number }[];
  maxTokens: number;
  pooling: Pooling;
  /** With `int8`: the lowest cosine between int8 and fp32 embeddings of the probe sentences. */
  int8Agreement?: { minCosine: number; kept: boolean };
}

/**
 * Below this the int8 variant is deleted instead of shipped. Dynamic activation quantisation is
 * per tensor, and some models have outlier activations it cannot represent: all-mpnet-base-v2's
 * int8 embeddings came out nearly orthogonal to fp32 (lowest cosine 0.001), while
 * all-MiniLM-L6-v2's stay above 0.98.
 */
export const INT8_MIN_COSINE = 0.97;

const PROBE_SENTENCES = [
  'How many time zones does Russia have?',
  'Rare earth elements are used in smartphones, defense systems and renewable energy.',
  'Comments are closed. Please check back later.',
  'THE FERRY LEAVES AT NOON, ask the harbour master if it is late!!',
  `A long paragraph ${'that keeps adding clauses about trade, energy and shipping '.repeat(12)}ends here.`,
];

/** One line for the import's output on the int8 check, or null when no int8 was asked for. */
export function describeInt8Agreement(result: ImportResult): string | null {
  const agreement = result.int8Agreement;
  if (!agreement) return null;
  const cosine = agreement.minCosine.toFixed(4);
  return agreement.kept
    ? `import: int8 agrees with fp32 (lowest cosine ${cosine} over the probe sentences)`
    : `import: int8 variant dropped: its embeddings disagree with fp32 (lowest cosine ${cosine} < ${INT8_MIN_COSINE}); use fp32 for this model`;
}

/** Embeds the probe sentences with both variants of the imported model and compares them. */
async function int8Agreement(outDir: string, maxTokens: number): Promise<number> {
  const { getEmbedder } = await import('../embedding/embedder.ts');
  const settings = (dtype: 'fp32' | 'int8') => ({
    embeddingModel: outDir,
    embeddingDtype: dtype,
    modelCacheDir: outDir,
    modelOffline: true,
    modelRemoteHost: '',
    queryPrefix: '',
    passagePrefix: '',
    onnxThreads: 0,
    onnxSpinning: 'off' as const,
    passageMaxTokens: maxTokens,
  });
  const [full, quantised] = await Promise.all(
    (['fp32', 'int8'] as const).map(async (dtype) =>
      (await getEmbedder(settings(dtype))).embed(PROBE_SENTENCES, 'passage'),
    ),
  );
  return Math.min(
    ...PROBE_SENTENCES.map((_, i) =>
      cosineAt(full?.[i] ?? new Float32Array(), quantised?.[i] ?? new Float32Array(), 0),
    ),
  );
}

async function readJson(path: string): Promise<Record<string, unknown> | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new UserFacingError('import', `${path} is not valid JSON`);
  }
}

function encoderConfig(config: Record<string, unknown>, family: EncoderFamily): EncoderConfig {
  const number = (key: string, fallback?: number) => {
    const value = config[key] ?? fallback;
    if (typeof value !== 'number') throw new UserFacingError('import', `config.json has no numeric "${key}"`);
    return value;
  };
  return {
    family,
    hiddenSize: number('hidden_size'),
    layers: number('num_hidden_layers'),
    heads: number('num_attention_heads'),
    layerNormEps: number('layer_norm_eps', 1e-12),
    maxPositions: number('max_position_embeddings', 512),
    padTokenId: number('pad_token_id', family === 'mpnet' ? 1 : 0),
    relativeBuckets: number('relative_attention_num_buckets', 32),
  };
}

function weightLookup(tensors: Map<string, Tensor>): (name: string) => Tensor {
  return (name) => {
    const tensor =
      tensors.get(name) ??
      tensors.get(`bert.${name}`) ??
      tensors.get(`mpnet.${name}`) ??
      tensors.get(`model.${name}`);
    if (!tensor)
      throw new UserFacingError(
        'import',
        `the checkpoint has no tensor "${name}"`,
        'is it a BERT- or MPNet-family sentence-transformers model?',
      );
    return tensor;
  };
}

export async function importCheckpoint(
  checkpointDir: string,
  outDir: string,
  options: { int8?: boolean; int8MinCosine?: number; onProgress?: (message: string) => void } = {},
): Promise<ImportResult> {
  const say = options.onProgress ?? (() => {});
  const config = await readJson(join(checkpointDir, 'config.json'));
  if (!config)
    throw new UserFacingError(
      'import',
      `${checkpointDir} has no config.json`,
      'point it at a sentence-transformers checkpoint folder',
    );
  const modelType = String(config.model_type ?? 'unknown');
  if (!SUPPORTED_TYPES.has(modelType)) {
    throw new UserFacingError(
      'import',
      `model type "${modelType}" is not supported`,
      `supported: ${[...SUPPORTED_TYPES].join(', ')} (e.g. all-MiniLM-L6-v2, bge-small-en-v1.5, all-mpnet-base-v2)`,
    );
  }
  if (config.position_embedding_type && config.position_embedding_type !== 'absolute') {
    throw new UserFacingError(
      'import',
      `position embedding type "${String(config.position_embedding_type)}" is not supported (absolute only)`,
    );
  }
  const weightsPath = join(checkpointDir, 'model.safetensors');
  if (!existsSync(weightsPath)) {
    throw new UserFacingError(
      'import',
      `${checkpointDir} has no model.safetensors`,
      'only safetensors checkpoints are read (not pytorch_model.bin)',
    );
  }
  if (!existsSync(join(checkpointDir, 'tokenizer.json'))) {
    throw new UserFacingError(
      'import',
      `${checkpointDir} has no tokenizer.json`,
      'a fast-tokenizer file is needed by transformers.js',
    );
  }

  const poolingConfig = (await readJson(join(checkpointDir, '1_Pooling', 'config.json'))) ?? {
    pooling_mode_mean_tokens: true,
  };
  const pooling = poolingMode(poolingConfig);
  if (!pooling)
    throw new UserFacingError(
      'import',
      '1_Pooling/config.json asks for a pooling other than mean or CLS, which is not supported',
    );
  const sentenceConfig = await readJson(join(checkpointDir, 'sentence_bert_config.json'));
  const tokenizerConfig = (await readJson(join(checkpointDir, 'tokenizer_config.json'))) ?? {};
  const maxTokens = Math.min(
    Number(sentenceConfig?.max_seq_length ?? Number.POSITIVE_INFINITY),
    Number(tokenizerConfig.model_max_length ?? Number.POSITIVE_INFINITY),
    Number(config.max_position_embeddings ?? 512),
  );

  say(`reading ${weightsPath}`);
  const tensors = await readSafetensors(weightsPath);
  const weights = weightLookup(tensors);
  const shape = encoderConfig(config, modelType as EncoderFamily);

  // Build into a temporary folder and rename at the end: a failed import never leaves a
  // half-written model where EMBEDDING_MODEL may point.
  const staging = `${outDir}.partial-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(join(staging, 'onnx'), { recursive: true });
  await mkdir(join(staging, '1_Pooling'), { recursive: true });
  try {
    say('writing onnx/model.onnx (fp32)');
    await writeFile(
      join(staging, 'onnx', 'model.onnx'),
      encodeModel(buildEncoderGraph(weights, shape, { int8: false })),
    );
    if (options.int8) {
      say('writing onnx/model_int8.onnx (int8 weights, dynamic activation quantisation)');
      await writeFile(
        join(staging, 'onnx', 'model_int8.onnx'),
        encodeModel(buildEncoderGraph(weights, shape, { int8: true })),
      );
    }
    await writeFile(join(staging, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
    await copyFile(join(checkpointDir, 'tokenizer.json'), join(staging, 'tokenizer.json'));
    // sentence-transformers truncates at max_seq_length; make transformers.js do the same.
    await writeFile(
      join(staging, 'tokenizer_config.json'),
      `${JSON.stringify({ ...tokenizerConfig, model_max_length: maxTokens }, null, 2)}\n`,
    );
    await writeFile(join(staging, '1_Pooling', 'config.json'), `${JSON.stringify(poolingConfig, null, 2)}\n`);
    for (const optional of [
      'special_tokens_map.json',
      'vocab.txt',
      'modules.json',
      'sentence_bert_config.json',
    ]) {
      if (existsSync(join(checkpointDir, optional)))
        await copyFile(join(checkpointDir, optional), join(staging, optional));
    }
    await rm(outDir, { recursive: true, force: true });
    await mkdir(join(outDir, '..'), { recursive: true });
    await rename(staging, outDir);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  let agreement: ImportResult['int8Agreement'];
  if (options.int8) {
    say('checking the int8 variant against fp32');
    const minCosine = await int8Agreement(outDir, maxTokens);
    agreement = { minCosine, kept: minCosine >= (options.int8MinCosine ?? INT8_MIN_COSINE) };
    if (!agreement.kept) await rm(join(outDir, 'onnx', 'model_int8.onnx'), { force: true });
  }
  const files = [];
  for (const name of [
    'onnx/model.onnx',
    ...(agreement?.kept ? ['onnx/model_int8.onnx'] : []),
    'tokenizer.json',
    'config.json',
  ]) {
    files.push({ name, bytes: (await stat(join(outDir, name))).size });
  }
  return {
    outDir,
    files,
    maxTokens,
    pooling,
    ...(agreement ? { int8Agreement: agreement } : {}),
  };
}
