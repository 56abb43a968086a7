/**
 * The folder a fetched model lives in, in the layout transformers.js loads:
 *   config.json, tokenizer.json, tokenizer_config.json, 1_Pooling/config.json (which the embedder
 *   reads for CLS vs mean pooling), onnx/model.onnx and its variants, and quarry-model.json,
 *   which names the model so it is recognised by any path that reaches the folder.
 * Folders are assembled in a staging folder beside the target and renamed into place, so a
 * failed or interrupted fetch never leaves a half-written model where EMBEDDING_MODEL points.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BertShape, CatalogModel } from './catalog.ts';

export const MARKER_FILE = 'quarry-model.json';

export interface ModelMarker {
  /** The catalog short name. */
  name: string;
  hubId: string;
  /** Where the files came from, e.g. "Maven Central (dev.langchain4j:…)". */
  source: string;
  fetchedAt: string;
}

/** The file transformers.js loads for a dtype, relative to the model folder. */
export function onnxFileFor(dtype: string): string {
  return join('onnx', dtype === 'fp32' ? 'model.onnx' : `model_${dtype === 'q8' ? 'quantized' : dtype}.onnx`);
}

export function readMarker(dir: string): ModelMarker | null {
  try {
    const value = JSON.parse(readFileSync(join(dir, MARKER_FILE), 'utf8')) as Partial<ModelMarker>;
    return typeof value.name === 'string' && value.name ? (value as ModelMarker) : null;
  } catch {
    return null;
  }
}

/** Whether `dir` holds a loadable model with the ONNX file for `dtype`. */
export function hasModelFiles(dir: string, dtype: string): boolean {
  return ['config.json', 'tokenizer.json', onnxFileFor(dtype)].every((f) => existsSync(join(dir, f)));
}

async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFile(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** A BERT config.json for a bare ONNX export (jars carry the graph and tokenizer, not the config). */
export function bertConfig(shape: BertShape): Record<string, unknown> {
  return {
    architectures: ['BertModel'],
    model_type: 'bert',
    attention_probs_dropout_prob: 0.1,
    hidden_act: 'gelu',
    hidden_dropout_prob: 0.1,
    hidden_size: shape.hidden,
    initializer_range: 0.02,
    intermediate_size: shape.intermediate,
    layer_norm_eps: 1e-12,
    max_position_embeddings: 512,
    num_attention_heads: shape.heads,
    num_hidden_layers: shape.layers,
    pad_token_id: 0,
    position_embedding_type: 'absolute',
    type_vocab_size: 2,
    vocab_size: shape.vocab,
  };
}

/** The uncased BERT tokenizer settings all catalog BERT models share, truncating where the model was trained. */
export function bertTokenizerConfig(maxTokens: number): Record<string, unknown> {
  return {
    tokenizer_class: 'BertTokenizer',
    do_lower_case: true,
    model_max_length: maxTokens,
    cls_token: '[CLS]',
    sep_token: '[SEP]',
    pad_token: '[PAD]',
    mask_token: '[MASK]',
    unk_token: '[UNK]',
    clean_up_tokenization_spaces: true,
  };
}

/** A fresh staging folder beside `outDir` (same file system, so the final rename is atomic). */
export async function createStaging(outDir: string): Promise<string> {
  const staging = `${outDir}.partial-${process.pid}-${Date.now()}`;
  await mkdir(join(staging, 'onnx'), { recursive: true });
  return staging;
}

/**
 * Completes a staged folder (pooling, tokenizer limit, marker) and moves it into place. When the
 * model folder exists already (another variant was fetched before, or a concurrent fetch won),
 * only the ONNX files it lacks are moved in, each by an atomic rename.
 */
export async function publishModel(
  staging: string,
  outDir: string,
  model: CatalogModel,
  source: string,
): Promise<void> {
  try {
    await mkdir(join(staging, '1_Pooling'), { recursive: true });
    await writeJson(join(staging, '1_Pooling', 'config.json'), {
      pooling_mode_cls_token: model.pooling === 'cls',
      pooling_mode_mean_tokens: model.pooling === 'mean',
    });
    const tokenizerConfigPath = join(staging, 'tokenizer_config.json');
    const tokenizerConfig = existsSync(tokenizerConfigPath)
      ? (JSON.parse(readFileSync(tokenizerConfigPath, 'utf8')) as Record<string, unknown>)
      : bertTokenizerConfig(model.maxTokens);
    // sentence-transformers truncates at max_seq_length; make transformers.js do the same.
    await writeJson(tokenizerConfigPath, { ...tokenizerConfig, model_max_length: model.maxTokens });
    const marker: ModelMarker = {
      name: model.name,
      hubId: model.hubId,
      source,
      fetchedAt: new Date().toISOString(),
    };
    await writeJson(join(staging, MARKER_FILE), marker);
    await mkdir(join(outDir, '..'), { recursive: true });
    if (!existsSync(outDir)) {
      try {
        await rename(staging, outDir);
        return;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
      }
    }
    await mkdir(join(outDir, 'onnx'), { recursive: true });
    for (const file of await readdir(join(staging, 'onnx'))) {
      if (!existsSync(join(outDir, 'onnx', file)))
        await rename(join(staging, 'onnx', file), join(outDir, 'onnx', file));
    }
    if (!readMarker(outDir)) await writeJson(join(outDir, MARKER_FILE), marker);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
