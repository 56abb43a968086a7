/**
 * The embedding limit: what onnxruntime alone does with the same inputs, so ingest and `/ask`
 * are judged against the hardware rather than against themselves.
 * - `p50Ms`: one question at a time, tokenised beforehand, `session.run` plus pooling only.
 * - `passagesPerSec`: every text an ingest embeds (passages and their sentences), tokenised
 *   beforehand, sorted by length and run in batches of 32 on one session using both cores;
 *   passages per second = passages / that time.
 * The session is onnxruntime-node's own (the copy transformers.js runs on), created with the
 * model file the embedder loads, intra-op threads = CPU count. Two sessions are measured, one
 * with onnxruntime's default spin-waiting threads and one without (what the embedder uses, see
 * NO_SPINNING in embedder.ts), questions in alternating blocks so both see the same load; each
 * figure is the better of the two, so the limit is never the configuration Quarry happens to use.
 */
import { cpus } from 'node:os';
import { join } from 'node:path';
import { NO_SPINNING } from '../src/embedding/embedder.ts';
import { onnxFileFor } from '../src/model/layout.ts';
import { median, percentile, round } from './stats.ts';

const BATCH = 32;

export interface Encoded {
  ids: number[];
}

interface LimitFigures {
  p50Ms: number;
  p99Ms: number;
  passagesPerSec: number;
  textsPerSec: number;
  tokensPerSec: number;
}

export interface EmbedLimit extends LimitFigures {
  threads: number;
  /** Each configuration's own figures; the top-level ones take the better p50 and throughput. */
  bySpinning: { spinning: LimitFigures; noSpinning: LimitFigures };
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
  spinning: boolean;
}): Promise<RawSession> {
  const ort = await import('onnxruntime-node');
  const { AutoTokenizer } = await import('@huggingface/transformers');
  const tokenizer = await AutoTokenizer.from_pretrained(options.modelDir);
  const threads = cpus().length;
  const session = await ort.InferenceSession.create(join(options.modelDir, onnxFileFor(options.dtype)), {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    ...(options.spinning ? {} : { extra: NO_SPINNING }),
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
  /**
   * Timed in the same alternating blocks as the limit's questions (e.g. the whole `/ask`), so a
   * ratio of the two compares the same moments of a shared machine's varying load.
   */
  alongside?: (question: string) => Promise<unknown>;
  /** An ingest of the same texts, run once right after the limit's first throughput pass; resolves to seconds. */
  ingestAlongside?: () => Promise<number>;
}): Promise<
  EmbedLimit & {
    alongside?: { p50Ms: number; p99Ms: number };
    /** passages/s of `ingestAlongside`, and its share of the limit measured around it. */
    ingestAlongside?: { passagesPerSec: number; ofLimit: number };
  }
> {
  const configurations = [
    await openRawSession({ ...options, spinning: true }),
    await openRawSession({ ...options, spinning: false }),
  ];
  const [first] = configurations;
  if (!first) throw new Error('bench: no session');
  const questions = options.questions.map((q) => first.encode(options.queryPrefix + q));
  for (const session of configurations) for (const q of questions.slice(0, 10)) await session.run([q]);
  const single: number[][] = configurations.map(() => []);
  const besides: number[] = [];
  const BLOCK = 20;
  for (let b = 0; b < questions.length; b += BLOCK) {
    for (const [c, session] of configurations.entries()) {
      for (const q of questions.slice(b, b + BLOCK)) {
        const started = performance.now();
        await session.run([q]);
        single[c]?.push(performance.now() - started);
      }
    }
    if (!options.alongside) continue;
    for (const q of options.questions.slice(b, b + BLOCK)) {
      const started = performance.now();
      await options.alongside(q);
      besides.push(performance.now() - started);
    }
  }

  const encoded = options.texts.map((t) => first.encode(options.passagePrefix + t));
  const tokens = encoded.reduce((n, e) => n + e.ids.length, 0);
  const seconds: number[][] = configurations.map(() => []);
  const ingestSeconds: number[] = [];
  for (let r = 0; r < options.repeats; r++) {
    for (const [c, session] of configurations.entries()) seconds[c]?.push(await runSorted(session, encoded));
    // Once: a full run's ingest embeds 10,000 passages for minutes.
    if (options.ingestAlongside && r === 0) ingestSeconds.push(await options.ingestAlongside());
  }
  for (const session of configurations) await session.release();
  const figures = configurations.map((_, c): LimitFigures => {
    const s = median(seconds[c] ?? []);
    return {
      p50Ms: round(percentile(single[c] ?? [], 50)),
      p99Ms: round(percentile(single[c] ?? [], 99)),
      passagesPerSec: round(options.passages / s, 1),
      textsPerSec: round(encoded.length / s, 1),
      tokensPerSec: round(tokens / s, 0),
    };
  });
  const [spinning, noSpinning] = figures as [LimitFigures, LimitFigures];
  const latency = spinning.p50Ms <= noSpinning.p50Ms ? spinning : noSpinning;
  const throughput = spinning.passagesPerSec >= noSpinning.passagesPerSec ? spinning : noSpinning;
  return {
    p50Ms: latency.p50Ms,
    p99Ms: latency.p99Ms,
    passagesPerSec: throughput.passagesPerSec,
    textsPerSec: throughput.textsPerSec,
    tokensPerSec: throughput.tokensPerSec,
    threads: first.threads,
    bySpinning: { spinning, noSpinning },
    ...(options.alongside
      ? { alongside: { p50Ms: round(percentile(besides, 50)), p99Ms: round(percentile(besides, 99)) } }
      : {}),
    ...(options.ingestAlongside
      ? {
          ingestAlongside: {
            passagesPerSec: round(options.passages / median(ingestSeconds), 1),
            ofLimit: round(options.passages / median(ingestSeconds) / throughput.passagesPerSec, 2),
          },
        }
      : {}),
  };
}
