/**
 * Embeddings already computed, keyed by (model, sha256 of the text), so a rebuild embeds only
 * passages and sentences that changed. One binary file per model:
 *   "QEC2" | u32 dimension | u32 count | count × (32-byte sha256 | dimension × f32 | u32 CRC-32)
 * Each record carries a CRC-32 of its key and vector, and every value must be finite: a flipped
 * bit or a NaN once gave wrong answers until the cache was deleted by hand. A record that fails
 * is dropped (so its text is embedded again); a damaged header drops the file. Neither is an
 * error: a warning says what was dropped.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { errorMessage } from '../errors.ts';
import { sha256 } from '../hash.ts';
import { log } from '../log.ts';
import { writeFileAtomic } from './atomic-file.ts';

const MAGIC = 'QEC2';
const HEADER_BYTES = 12;
const KEY_BYTES = 32;
const CRC_BYTES = 4;

const textKey = sha256;

const recordBytes = (dimension: number) => KEY_BYTES + dimension * 4 + CRC_BYTES;

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
      const damaged = cache.decode(bytes);
      if (damaged > 0)
        log.warn(
          `index: embedding cache ${cache.path}: ${damaged} damaged records dropped; their texts are embedded again`,
        );
    } catch (error) {
      cache.vectors.clear();
      log.warn(
        `index: embedding cache ${cache.path} is unreadable (${errorMessage(error)}); starting a new one`,
      );
    }
    return cache;
  }

  /** Reads every record; returns how many failed their checksum or held a non-finite value. */
  private decode(bytes: Buffer): number {
    if (bytes.length < HEADER_BYTES || bytes.toString('latin1', 0, 4) !== MAGIC)
      throw new Error('bad header (or an older format)');
    const dimension = bytes.readUInt32LE(4);
    const count = bytes.readUInt32LE(8);
    const record = recordBytes(dimension);
    if (dimension !== this.dimension) throw new Error(`dimension ${dimension}, expected ${this.dimension}`);
    if (bytes.length !== HEADER_BYTES + count * record) throw new Error('truncated');
    let damaged = 0;
    for (let i = 0; i < count; i++) {
      const offset = HEADER_BYTES + i * record;
      const body = bytes.subarray(offset, offset + record - CRC_BYTES);
      const vector = new Float32Array(dimension);
      for (let d = 0; d < dimension; d++) vector[d] = bytes.readFloatLE(offset + KEY_BYTES + d * 4);
      if (crc32(body) !== bytes.readUInt32LE(offset + record - CRC_BYTES) || !vector.every(Number.isFinite)) {
        damaged++;
        continue;
      }
      this.vectors.set(bytes.toString('hex', offset, offset + KEY_BYTES), vector);
    }
    if (damaged > 0) this.dirty = true;
    return damaged;
  }

  get(text: string): Float32Array | undefined {
    return this.vectors.get(textKey(text));
  }

  set(text: string, vector: Float32Array): void {
    // A text of nothing the model knows can embed to NaN (a zero vector normalised); it is kept
    // as the zero vector, which matches nothing, so the cache holds finite values only.
    this.vectors.set(textKey(text), vector.every(Number.isFinite) ? vector : new Float32Array(vector.length));
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
    const record = recordBytes(this.dimension);
    const bytes = Buffer.alloc(HEADER_BYTES + this.vectors.size * record);
    bytes.write(MAGIC, 0, 'latin1');
    bytes.writeUInt32LE(this.dimension, 4);
    bytes.writeUInt32LE(this.vectors.size, 8);
    let offset = HEADER_BYTES;
    for (const [key, vector] of this.vectors) {
      bytes.write(key, offset, 'hex');
      Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).copy(bytes, offset + KEY_BYTES);
      const end = offset + record - CRC_BYTES;
      bytes.writeUInt32LE(crc32(bytes.subarray(offset, end)), end);
      offset += record;
    }
    await mkdir(join(this.path, '..'), { recursive: true });
    await writeFileAtomic(this.path, bytes);
    this.dirty = false;
  }
}
