/**
 * Approximate nearest neighbours over normalised embeddings with hnswlib-node, with its
 * pitfalls handled here once: `ef` is not saved with the index (set after every load), capacity
 * is fixed (grow with resizeIndex), k must not exceed the element count, and writes go through
 * a temporary file because writeIndex writes in place.
 */
import { readFile, writeFile } from 'node:fs/promises';
import hnswlib from 'hnswlib-node';
import { commitFileAtomic } from './atomic-file.ts';

const { HierarchicalNSW } = hnswlib;
type Hnsw = InstanceType<typeof HierarchicalNSW>;

/**
 * hnswlib draws each point's level at random: a fixed seed makes the same passages build the
 * same graph, so a rebuild answers exactly as before and benchmarks repeat. 100 is hnswlib's own
 * default.
 */
const HNSW_RANDOM_SEED = 100;

export interface HnswParameters {
  m: number;
  efConstruction: number;
  ef: number;
}

/**
 * Up to this many passages an index is searched exactly, from a flat block of vectors, instead of
 * through the HNSW graph: hnswlib allocates 65,536 label locks per graph (2.5 MB, measured) however
 * small it is, which for 1,000 servers with a few sources each would be 2.5 GB of locks. An exact
 * scan of 2,000 × 384 floats takes well under a millisecond and has perfect recall.
 */
export const EXACT_SEARCH_MAX_PASSAGES = 2000;

/** hnswlib's saveIndex header: 11 size_t/int fields and a double, before the level-0 block. */
const HNSW_HEADER_BYTES = 96;

export interface Neighbour {
  label: number;
  /** Cosine similarity in [-1, 1]. */
  similarity: number;
}

export class VectorIndex {
  private constructor(
    private readonly hnsw: Hnsw | null,
    readonly dimension: number,
    /** Exact mode: vector of label i at [i·dimension, (i+1)·dimension), normalised. */
    private readonly flat: Float32Array | null = null,
    /** Exact mode: the saved graph file it came from, so saving it again writes the same graph. */
    private readonly saved: Buffer | null = null,
  ) {}

  /**
   * Exact mode from a saved (and already checksum-verified) hnswlib file, without building the
   * graph: the level-0 block holds each point's normalised vector and label. Null when the layout
   * is not the one expected, so the caller can load the graph instead.
   */
  static fromSavedVectors(file: Buffer | undefined, dimension: number): VectorIndex | null {
    if (!file || file.length < HNSW_HEADER_BYTES) return null;
    const count = Number(file.readBigUInt64LE(16));
    const perElement = Number(file.readBigUInt64LE(24));
    const labelOffset = Number(file.readBigUInt64LE(32));
    const dataOffset = Number(file.readBigUInt64LE(40));
    if (
      labelOffset !== dataOffset + dimension * 4 ||
      perElement < labelOffset + 8 ||
      HNSW_HEADER_BYTES + count * perElement > file.length
    ) {
      return null;
    }
    const flat = new Float32Array(count * dimension);
    for (let i = 0; i < count; i++) {
      const at = HNSW_HEADER_BYTES + i * perElement;
      const label = Number(file.readBigUInt64LE(at + labelOffset));
      if (label >= count) return null;
      const start = at + dataOffset;
      flat.set(
        new Float32Array(file.buffer.slice(file.byteOffset + start, file.byteOffset + start + dimension * 4)),
        label * dimension,
      );
    }
    return new VectorIndex(null, dimension, flat, file);
  }

  /** Exact mode over a block of normalised vectors (label i at [i·dimension, (i+1)·dimension)). */
  static exact(flat: Float32Array, dimension: number): VectorIndex {
    return new VectorIndex(null, dimension, flat);
  }

  /** The stored point of `label` (a copy). */
  vectorOf(label: number): Float32Array {
    return this.flat
      ? this.flat.slice(label * this.dimension, (label + 1) * this.dimension)
      : Float32Array.from(this.graph.getPoint(label));
  }

  /**
   * The same points in exact mode, read back from the graph file just written at `path` (the
   * graph itself is released when this index is dropped).
   */
  async toExact(path: string): Promise<VectorIndex> {
    if (!this.hnsw) return this;
    return VectorIndex.fromSavedVectors(await readFile(path), this.dimension) ?? this;
  }

  private get graph(): Hnsw {
    if (!this.hnsw) throw new Error('index: an exact-mode vector index is read-only');
    return this.hnsw;
  }

  static create(dimension: number, capacity: number, params: HnswParameters): VectorIndex {
    const hnsw = new HierarchicalNSW('cosine', dimension);
    hnsw.initIndex({
      maxElements: Math.max(1, capacity),
      m: params.m,
      efConstruction: params.efConstruction,
      randomSeed: HNSW_RANDOM_SEED,
    });
    hnsw.setEf(params.ef);
    return new VectorIndex(hnsw, dimension);
  }

  static async load(path: string, dimension: number, ef: number): Promise<VectorIndex> {
    const hnsw = new HierarchicalNSW('cosine', dimension);
    await hnsw.readIndex(path);
    // hnswlib does not persist ef: without this, queries silently run at ef = 10.
    hnsw.setEf(ef);
    return new VectorIndex(hnsw, dimension);
  }

  get size(): number {
    return this.flat ? this.flat.length / this.dimension : this.graph.getCurrentCount();
  }

  add(vector: Float32Array, label: number): void {
    if (vector.length !== this.dimension) {
      throw new Error(
        `index: vector of ${vector.length} dimensions added to a ${this.dimension}-dimension index`,
      );
    }
    const graph = this.graph;
    if (graph.getCurrentCount() >= graph.getMaxElements()) {
      graph.resizeIndex(Math.max(16, graph.getMaxElements() * 2));
    }
    graph.addPoint(Array.from(vector), label);
  }

  setEf(ef: number): void {
    this.hnsw?.setEf(ef);
  }

  search(vector: Float32Array, k: number): Neighbour[] {
    const count = Math.min(k, this.size);
    if (count <= 0) return [];
    if (this.flat) {
      const all = Array.from({ length: this.size }, (_, label) => ({
        label,
        similarity: this.similarityTo(label, vector),
      }));
      return all.sort((a, b) => b.similarity - a.similarity).slice(0, count);
    }
    const { neighbors, distances } = this.graph.searchKnn(Array.from(vector), count);
    return neighbors.map((label, i) => ({ label, similarity: 1 - (distances[i] ?? 1) }));
  }

  /** Exact cosine between `vector` and the stored point `label` (stored points are normalised). */
  similarityTo(label: number, vector: Float32Array): number {
    const point = this.flat
      ? this.flat.subarray(label * this.dimension, (label + 1) * this.dimension)
      : this.graph.getPoint(label);
    let dot = 0;
    let norm = 0;
    for (let i = 0; i < point.length; i++) {
      dot += (point[i] ?? 0) * (vector[i] ?? 0);
      norm += (vector[i] ?? 0) ** 2;
    }
    return norm > 0 ? dot / Math.sqrt(norm) : 0;
  }

  /** Saves atomically; callers must not add points until the returned promise settles. */
  async save(path: string): Promise<void> {
    await commitFileAtomic(path, async (temporary) => {
      if (this.saved) await writeFile(temporary, this.saved);
      else await this.graph.writeIndex(temporary);
    });
  }
}
