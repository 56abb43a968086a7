/**
 * Runs a large embedding job in the embedding worker (worker.ts). One worker per embedder, started
 * on the first large job and stopped when no job is left, so a bot that is only answering keeps
 * one copy of the model in memory; a reload pays about a second to load the second copy, which
 * is small next to the minutes a large reload embeds.
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
 */
function startWorker(workerData: EmbedderSettings): Worker {
  if (!WORKER_URL.pathname.endsWith('.ts')) return new Worker(WORKER_URL, { workerData });
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(WORKER_URL.href)}); });`;
  return new Worker(boot, { eval: true, workerData });
}

export class OffThreadEmbedder {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(private readonly settings: EmbedderSettings) {}

  embed(texts: string[], kind: 'query' | 'passage', onProgress?: ProgressListener): Promise<Float32Array[]> {
    const worker = this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { total: texts.length, onProgress, resolve, reject });
      worker.postMessage({ id, texts, kind } satisfies EmbedJob);
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
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

  private stopWhenIdle(): void {
    if (this.pending.size > 0 || !this.worker) return;
    const worker = this.worker;
    this.worker = null;
    void worker.terminate();
  }
}
