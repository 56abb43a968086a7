/**
 * A transformers.js cache (env.customCache) that answers a local model's ONNX file with its path.
 *
 * Without it, transformers.js (4.3) opens a local file as a response whose body is a read stream
 * started at once, then hands onnxruntime only the path and never reads that body: the whole
 * model file (90 MB for all-MiniLM-L6-v2) arrived in 64 KB chunks on the main thread over the
 * first seconds of answering (~0.15 ms on each event-loop turn, two turns a question) and stayed
 * queued in memory until a full GC (arrayBuffers 97 → 6 MB after gc()). A cache hit that is a
 * string is returned as the path as it is, with no file opened.
 *
 * Only ONNX files registered here are answered; every other file (config, tokenizer) misses and
 * is read as before. transformers.js asks under the local path and, for the final lookup, under
 * the remote URL it built from the same folder, so both spellings are recognised.
 */
import { join, resolve, sep } from 'node:path';

interface LocalOnnx {
  path: string;
  /** The folder as the remote URL spells it: forward slashes, no leading one. */
  urlFolder: string;
  /** The file inside the folder, forward slashes ("onnx/model.onnx"). */
  urlFile: string;
}

const registered = new Map<string, LocalOnnx>();

function answer(key: string): string | undefined {
  for (const { path, urlFolder, urlFile } of registered.values()) {
    if (resolve(key) === path) return path;
    // The remote spelling: <host>/<folder>/resolve/main/<file>.
    if (key.includes(urlFolder) && key.endsWith(`/${urlFile}`)) return path;
  }
  return undefined;
}

export const localModelCache = {
  async match(key: string): Promise<string | undefined> {
    return answer(key);
  },
  /** Nothing to store: local files are never downloaded. */
  async put(): Promise<void> {},
};

/** Lets `localModelCache` answer `file` (e.g. "onnx/model.onnx") of `folder` with its path. */
export function registerLocalOnnx(folder: string, file: string): void {
  const path = resolve(join(folder, file));
  const urlFolder = resolve(folder).replaceAll(sep, '/').replace(/^\/+/, '');
  registered.set(path, { path, urlFolder, urlFile: file.replaceAll(sep, '/') });
}
