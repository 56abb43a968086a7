/**
 * The embedding worker: a thread with its own copy of the model that embeds large jobs (a
 * reload's passages and sentences), so inference for them never blocks the main thread's event
 * loop and a question asked meanwhile is embedded at once by the main thread's model instead of
 * waiting behind a batch. Started by embedder.ts for jobs of WORKER_MIN_TEXTS or more.
 *
 * Protocol: the parent posts { id, texts, kind }; the worker answers with progress messages
 * { id, done } and finally { id, vectors } (one flat Float32Array, transferred) or
 * { id, error }.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { errorMessage, isUserFacing } from '../errors.ts';
import { type EmbedderSettings, getEmbedder } from './embedder.ts';

export interface EmbedJob {
  id: number;
  texts: string[];
  kind: 'query' | 'passage';
}

export type WorkerReply =
  | { id: number; done: number }
  | { id: number; vectors: Float32Array; dimension: number }
  /** `code`: a UserFacingError's code, so the parent can rethrow it as one. */
  | { id: number; error: string; code?: string };

const port = parentPort;
if (!port) throw new Error('embedder: worker.ts must run in a worker thread');
const settings = workerData as EmbedderSettings;

port.on('message', async (job: EmbedJob) => {
  try {
    const embedder = await getEmbedder(settings);
    const vectors = await embedder.embed(job.texts, job.kind, (progress) => {
      if (progress.stage === 'embedding' && progress.done !== undefined)
        port.postMessage({ id: job.id, done: progress.done } satisfies WorkerReply);
    });
    const flat = new Float32Array(vectors.length * embedder.dimension);
    vectors.forEach((v, i) => {
      flat.set(v, i * embedder.dimension);
    });
    port.postMessage({ id: job.id, vectors: flat, dimension: embedder.dimension } satisfies WorkerReply, [
      flat.buffer,
    ]);
  } catch (error) {
    port.postMessage({
      id: job.id,
      error: errorMessage(error),
      ...(isUserFacing(error) ? { code: error.code } : {}),
    } satisfies WorkerReply);
  }
});
