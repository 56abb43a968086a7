/**
 * Embeddings already computed, keyed by (model, sha256 of the text), so a rebuild embeds only
 * passages and sentences that changed. One binary file per model:
 *   "QEC1" | u32 dimension | u32 count | count × (32-byte sha256 | dimension × f32)
 * A damaged cache file is not an error: it is dropped with a warning and refilled.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from '../errors.ts';
import { sha256 } from '../hash.ts';
import { log } from '../log.ts';
import { writeFileAtomic } from './atomic-file.ts';

const MAGIC = 'QEC1';
const HEADER_BYTES = 12;
const KEY_BYTES = 32;

const textKey = sha256;

export class EmbeddingCache {
  private readonly vectors = new Map<string, Float32Array>();
  private dirty = false;

  private constructor(
    private readonly path: string,
    readonly dimension: number,
  ) {}

  static pathFor(indexDir: string, modelKey: string): string {
    return join(indexDir, 'embedding-cache', `${sha256(modelKey).slice(0, 16)}.bin`);
  }

  static async open(indexDir: string, modelKey: string, dimension: number): Promise<EmbeddingCache> {
    const cache = new EmbeddingCache(EmbeddingCache.pathFor(indexDir, modelKey), dimension);
    let bytes: Buffer;
    try {
      bytes = await readFile(cache.path);
    } catch {
      return cache; // No cache yet.
    }
    try {
      cache.decode(bytes);
    } catch (error) {
      cache.vectors.clear();
      log.warn(
        `index: embedding cache ${cache.path} is unreadable (${errorMessage(error)}); starting a new one`,
      );
    }
    return cache;
  }

  private decode(bytes: Buffer): void {
    if (bytes.length < HEADER_BYTES || bytes.toString('latin1', 0, 4) !== MAGIC)
      throw new Error('bad header');
    const dimension = bytes.readUInt32LE(4);
    const count = bytes.readUInt32LE(8);
    const record = KEY_BYTES + dimension * 4;
    if (dimension !== this.dimension) throw new Error(`dimension ${dimension}, expected ${this.dimension}`);
    if (bytes.length !== HEADER_BYTES + count * record) throw new Error('truncated');
    for (let i = 0; i < count; i++) {
      const offset = HEADER_BYTES + i * record;
      const key = bytes.toString('hex', offset, offset + KEY_BYTES);
      const vector = new Float32Array(dimension);
      for (let d = 0; d < dimension; d++) vector[d] = bytes.readFloatLE(offset + KEY_BYTES + d * 4);
      this.vectors.set(key, vector);
    }
  }

  get(text: string): Float32Array | undefined {
    return this.vectors.get(textKey(text));
  }

  set(text: string, vector: Float32Array): void {
    this.vectors.set(textKey(text), vector);
    this.dirty = true;
  }

  /** Keeps only the given texts' vectors, so the cache does not grow forever across edits. */
  retainOnly(texts: Iterable<string>): void {
    const keep = new Set<string>();
    for (const text of texts) keep.add(textKey(text));
    for (const key of this.vectors.keys()) {
      if (!keep.has(key)) {
        this.vectors.delete(key);
        this.dirty = true;
      }
    }
  }

  async save(): Promise<void> {
    if (!this.dirty) return;
    const record = KEY_BYTES + this.dimension * 4;
    const bytes = Buffer.alloc(HEADER_BYTES + this.vectors.size * record);
    bytes.write(MAGIC, 0, 'latin1');
    bytes.writeUInt32LE(this.dimension, 4);
    bytes.writeUInt32LE(this.vectors.size, 8);
    let offset = HEADER_BYTES;
    for (const [key, vector] of this.vectors) {
      bytes.write(key, offset, 'hex');
      Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).copy(bytes, offset + KEY_BYTES);
      offset += record;
    }
    await mkdir(join(this.path, '..'), { recursive: true });
    await writeFileAtomic(this.path, bytes);
    this.dirty = false;
  }
}
