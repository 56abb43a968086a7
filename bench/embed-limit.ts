/**
 * The embedding limit: what onnxruntime alone does with the same inputs, so ingest and `/ask`
 * are judged against the hardware rather than against themselves.
 * - `p50Ms`: one question at a time, tokenised beforehand, `session.run` plus pooling only.
 * - `passagesPerSec`: every text an ingest embeds (passages and their sentences), tokenised
 *   beforehand, sorted by length and run in batches of 32 on one session using both cores;
 *   passages per second = passages / that time.
 * The session is onnxruntime-node's own (the copy transformers.js runs on), created with the
 * model file the embedder loads, intra-op threads = CPU count.
 */
import { cpus } from 'node:os';
import { join } from 'node:path';
import { onnxFileFor } from '../src/model/layout.ts';
import { median, percentile, round } from './stats.ts';

const BATCH = 32;

export interface Encoded {
  ids: number[];
}

export interface EmbedLimit {
  p50Ms: number;
  p99Ms: number;
  passagesPerSec: number;
  textsPerSec: number;
  tokensPerSec: number;
  threads: number;
}

/** onnxruntime's own session on the embedder's model file, fed pre-tokenised batches. */
export interface RawSession {
  threads: number;
  encode(text: string): Encoded;
  run(batch: Encoded[]): Promise<void>;
  release(): Promise<void>;
}

export async function openRawSession(options: {
  modelDir: string;
  dtype: string;
  maxTokens: number;
}): Promise<RawSession> {
  const ort = await import('onnxruntime-node');
  const { AutoTokenizer } = await import('@huggingface/transformers');
  const tokenizer = await AutoTokenizer.from_pretrained(options.modelDir);
  const threads = cpus().length;
  const session = await ort.InferenceSession.create(join(options.modelDir, onnxFileFor(options.dtype)), {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
  });
  const needsTypes = session.inputNames.includes('token_type_ids');
  return {
    threads,
    encode: (text) => ({ ids: (tokenizer.encode(text) as number[]).slice(0, options.maxTokens) }),
    async run(batch) {
      const length = Math.max(...batch.map((e) => e.ids.length));
      const ids = new BigInt64Array(batch.length * length);
      const mask = new BigInt64Array(batch.length * length);
      batch.forEach((e, row) => {
        e.ids.forEach((id, i) => {
          ids[row * length + i] = BigInt(id);
          mask[row * length + i] = 1n;
        });
      });
      const dims = [batch.length, length];
      const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {
        input_ids: new ort.Tensor('int64', ids, dims),
        attention_mask: new ort.Tensor('int64', mask, dims),
      };
      if (needsTypes) feeds.token_type_ids = new ort.Tensor('int64', new BigInt64Array(ids.length), dims);
      const output = await session.run(feeds);
      // Pooling is part of the limit's work too (it is tiny): read the first output once.
      const first = output[session.outputNames[0] as string];
      if (!first?.data) throw new Error('bench: the model returned no output');
    },
    release: () => session.release(),
  };
}

/** Texts embedded in length-sorted batches of 32; seconds for the whole set. */
export async function runSorted(session: RawSession, encoded: Encoded[]): Promise<number> {
  const sorted = [...encoded].sort((a, b) => a.ids.length - b.ids.length);
  const started = performance.now();
  for (let i = 0; i < sorted.length; i += BATCH) await session.run(sorted.slice(i, i + BATCH));
  return (performance.now() - started) / 1000;
}

export async function benchEmbedLimit(options: {
  modelDir: string;
  dtype: string;
  maxTokens: number;
  queryPrefix: string;
  passagePrefix: string;
  questions: string[];
  /** What an ingest embeds: passage texts and sentence texts, deduplicated. */
  texts: string[];
  passages: number;
  repeats: number;
}): Promise<EmbedLimit> {
  const session = await openRawSession(options);
  const questions = options.questions.map((q) => session.encode(options.queryPrefix + q));
  for (const q of questions.slice(0, 10)) await session.run([q]);
  const single: number[] = [];
  for (const q of questions) {
    const started = performance.now();
    await session.run([q]);
    single.push(performance.now() - started);
  }

  const encoded = options.texts.map((t) => session.encode(options.passagePrefix + t));
  const tokens = encoded.reduce((n, e) => n + e.ids.length, 0);
  const seconds: number[] = [];
  for (let r = 0; r < options.repeats; r++) seconds.push(await runSorted(session, encoded));
  await session.release();
  const s = median(seconds);
  return {
    p50Ms: round(percentile(single, 50)),
    p99Ms: round(percentile(single, 99)),
    passagesPerSec: round(options.passages / s, 1),
    textsPerSec: round(encoded.length / s, 1),
    tokensPerSec: round(tokens / s, 0),
    threads: session.threads,
  };
}
