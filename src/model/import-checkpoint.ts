/**
 * Turns a sentence-transformers checkpoint of the BERT family (config.json, model.safetensors,
 * tokenizer files, 1_Pooling/config.json) into the folder layout transformers.js loads:
 * config.json, tokenizer.json, tokenizer_config.json, 1_Pooling/config.json and onnx/model.onnx
 * (plus onnx/model_int8.onnx with `int8`). No Python, no hub: the ONNX graph is written directly.
 */

import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserFacingError } from '../errors.ts';
import { type BertConfig, buildBertGraph } from './bert-graph.ts';
import { encodeModel } from './onnx.ts';
import { readSafetensors, type Tensor } from './safetensors.ts';

const SUPPORTED_TYPES = new Set(['bert']);

export interface ImportResult {
  outDir: string;
  files: { name: string; bytes: number }[];
  maxTokens: number;
  pooling: string;
}

async function readJson(path: string): Promise<Record<string, unknown> | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new UserFacingError('import', `${path} is not valid JSON`);
  }
}

function bertConfig(config: Record<string, unknown>): BertConfig {
  const number = (key: string, fallback?: number) => {
    const value = config[key] ?? fallback;
    if (typeof value !== 'number') throw new UserFacingError('import', `config.json has no numeric "${key}"`);
    return value;
  };
  return {
    hiddenSize: number('hidden_size'),
    layers: number('num_hidden_layers'),
    heads: number('num_attention_heads'),
    intermediateSize: number('intermediate_size'),
    layerNormEps: number('layer_norm_eps', 1e-12),
    maxPositions: number('max_position_embeddings', 512),
  };
}

function weightLookup(tensors: Map<string, Tensor>): (name: string) => Tensor {
  return (name) => {
    const tensor = tensors.get(name) ?? tensors.get(`bert.${name}`) ?? tensors.get(`model.${name}`);
    if (!tensor)
      throw new UserFacingError(
        'import',
        `the checkpoint has no tensor "${name}"`,
        'is it a BERT-family sentence-transformers model?',
      );
    return tensor;
  };
}

export async function importCheckpoint(
  checkpointDir: string,
  outDir: string,
  options: { int8?: boolean; onProgress?: (message: string) => void } = {},
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
      `supported: ${[...SUPPORTED_TYPES].join(', ')} (BERT family, e.g. all-MiniLM-L6-v2, bge-small-en-v1.5)`,
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

  const pooling = (await readJson(join(checkpointDir, '1_Pooling', 'config.json'))) ?? {
    pooling_mode_mean_tokens: true,
  };
  const poolingMode = pooling.pooling_mode_cls_token
    ? 'cls'
    : pooling.pooling_mode_mean_tokens
      ? 'mean'
      : null;
  if (!poolingMode) throw new UserFacingError('import', 'only mean or CLS pooling is supported');
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
  const shape = bertConfig(config);

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
      encodeModel(buildBertGraph(weights, shape, { int8: false })),
    );
    if (options.int8) {
      say('writing onnx/model_int8.onnx (int8 weights, dynamic activation quantisation)');
      await writeFile(
        join(staging, 'onnx', 'model_int8.onnx'),
        encodeModel(buildBertGraph(weights, shape, { int8: true })),
      );
    }
    await writeFile(join(staging, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
    await copyFile(join(checkpointDir, 'tokenizer.json'), join(staging, 'tokenizer.json'));
    // sentence-transformers truncates at max_seq_length; make transformers.js do the same.
    await writeFile(
      join(staging, 'tokenizer_config.json'),
      `${JSON.stringify({ ...tokenizerConfig, model_max_length: maxTokens }, null, 2)}\n`,
    );
    await writeFile(join(staging, '1_Pooling', 'config.json'), `${JSON.stringify(pooling, null, 2)}\n`);
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
  const files = [];
  for (const name of [
    'onnx/model.onnx',
    ...(options.int8 ? ['onnx/model_int8.onnx'] : []),
    'tokenizer.json',
    'config.json',
  ]) {
    files.push({ name, bytes: (await stat(join(outDir, name))).size });
  }
  return { outDir, files, maxTokens, pooling: poolingMode };
}
