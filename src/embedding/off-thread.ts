/**
 * Runs a large embedding job in the embedding worker (worker.ts). One worker per embedder, started
 * on the first large job and kept warm for WORKER_IDLE_MS after the last one: loading its copy of
 * the model costs about a second (more under load), which a small reload (a 150-passage file
 * embeds in about 3 s) cannot amortise, and moderators tend to reload or add several sources in a
 * row. After that idle time the worker stops, so a bot that is only answering keeps one copy of
 * the model in memory (a loaded worker adds about 200 MB RSS with all-MiniLM-L6-v2, measured on
 * the compiled code; hence minutes, not for ever). An idle worker never keeps the process alive (it is unref'd), and
 * `close()` stops it at once.
 */
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { UserFacingError } from '../errors.ts';
import type { ProgressListener } from '../progress.ts';
import type { EmbedderSettings } from './embedder.ts';
import type { EmbedJob, WorkerReply } from './worker.ts';

interface Pending {
  total: number;
  onProgress: ProgressListener | undefined;
  resolve: (vectors: Float32Array[]) => void;
  reject: (error: Error) => void;
}

/** The worker's file beside this one: worker.ts under tsx, worker.js once compiled. */
const WORKER_URL = new URL(`./worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

/**
 * Running from TypeScript (tsx: tests, the CLI, the bench), the worker must register tsx before
 * it imports worker.ts: Node 20 gives a worker neither the parent's loader hooks nor, reliably,
 * a working `--import tsx` in execArgv (measured: "Unknown file extension .ts" either way).
 * transformers.js (a 1.3 MB bundle, plus sharp) is imported first, before tsx's hooks exist:
 * through them its import took 470–690 ms in the worker against 100–200 ms without, and
 * embedder.ts's own import of it then gets the module already loaded. Measured in one process,
 * alternating, 9 starts each at load 4.5–4.7: a new worker answered its first 32-text job after
 * a median 681 ms (617–740) against 1,012 ms (1,005–1,210) registering tsx first.
 */
function startWorker(workerData: EmbedderSettings): Worker {
  if (!WORKER_URL.pathname.endsWith('.ts')) return new Worker(WORKER_URL, { workerData });
  const transformers = JSON.stringify(import.meta.resolve('@huggingface/transformers'));
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const boot = `import(${transformers}).then(() => import(${tsx})).then((m) => { m.register(); return import(${JSON.stringify(WORKER_URL.href)}); });`;
  return new Worker(boot, { eval: true, workerData });
}

/** How long the worker and its model stay loaded after the last job. */
export const WORKER_IDLE_MS = 2 * 60_000;

export class OffThreadEmbedder {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private idleTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly settings: EmbedderSettings,
    private readonly idleMs = WORKER_IDLE_MS,
  ) {}

  /** The worker's thread id while it runs (tests check it is reused), else null. */
  get threadId(): number | null {
    return this.worker?.threadId ?? null;
  }

  /** A job is running in the worker (the spinning choice stays calm meanwhile). */
  get busy(): boolean {
    return this.pending.size > 0;
  }

  embed(texts: string[], kind: 'query' | 'passage', onProgress?: ProgressListener): Promise<Float32Array[]> {
    const worker = this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { total: texts.length, onProgress, resolve, reject });
      worker.postMessage({ id, texts, kind } satisfies EmbedJob);
    });
  }

  /** Stops the worker now (pending jobs fail); the next large job starts a new one. */
  async close(): Promise<void> {
    this.clearIdleTimer();
    const worker = this.worker;
    if (!worker) return;
    this.worker = null;
    this.failAll(new Error('embedder: the embedding worker was closed'));
    await worker.terminate();
  }

  private start(): Worker {
    this.clearIdleTimer();
    if (this.worker) {
      // A job holds the process open until it is answered, as a promise on the main thread would.
      this.worker.ref();
      return this.worker;
    }
    const worker = startWorker(this.settings);
    worker.on('message', (reply: WorkerReply) => this.receive(reply));
    worker.on('error', (error) => this.failAll(error));
    worker.on('exit', (code) => {
      // A worker stopped by stopWhenIdle is no longer this.worker; any other exit is a crash.
      if (this.worker !== worker) return;
      this.worker = null;
      this.failAll(new Error(`embedder: the embedding worker stopped (exit code ${code})`));
    });
    this.worker = worker;
    return worker;
  }

  private receive(reply: WorkerReply): void {
    const job = this.pending.get(reply.id);
    if (!job) return;
    if ('done' in reply) {
      job.onProgress?.({ stage: 'embedding', done: reply.done, total: job.total });
      return;
    }
    this.pending.delete(reply.id);
    if ('error' in reply) {
      const error = reply.code ? new UserFacingError(reply.code, '') : new Error(reply.error);
      error.message = reply.error;
      job.reject(error);
    } else {
      const { vectors, dimension } = reply;
      job.resolve(
        Array.from({ length: vectors.length / dimension }, (_, i) =>
          vectors.subarray(i * dimension, (i + 1) * dimension),
        ),
      );
    }
    this.stopWhenIdle();
  }

  private failAll(error: Error): void {
    for (const job of this.pending.values()) job.reject(error);
    this.pending.clear();
    this.stopWhenIdle();
  }

  /** With no job left: keep the worker warm, unref'd, and stop it after the idle time. */
  private stopWhenIdle(): void {
    if (this.pending.size > 0 || !this.worker) return;
    const worker = this.worker;
    worker.unref();
    this.clearIdleTimer();
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      if (this.worker !== worker || this.pending.size > 0) return;
      this.worker = null;
      void worker.terminate();
    }, this.idleMs);
    this.idleTimer.unref();
  }

  private clearIdleTimer(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }
}
