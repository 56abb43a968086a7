/**
 * Approximate nearest neighbours over normalised embeddings with hnswlib-node, with its
 * pitfalls handled here once: `ef` is not saved with the index (set after every load), capacity
 * is fixed (grow with resizeIndex), k must not exceed the element count, and writes go through
 * a temporary file because writeIndex writes in place.
 */
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

export interface Neighbour {
  label: number;
  /** Cosine similarity in [-1, 1]. */
  similarity: number;
}

export class VectorIndex {
  private constructor(
    private readonly hnsw: Hnsw,
    readonly dimension: number,
  ) {}

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
    return this.hnsw.getCurrentCount();
  }

  add(vector: Float32Array, label: number): void {
    if (vector.length !== this.dimension) {
      throw new Error(
        `index: vector of ${vector.length} dimensions added to a ${this.dimension}-dimension index`,
      );
    }
    if (this.hnsw.getCurrentCount() >= this.hnsw.getMaxElements()) {
      this.hnsw.resizeIndex(Math.max(16, this.hnsw.getMaxElements() * 2));
    }
    this.hnsw.addPoint(Array.from(vector), label);
  }

  setEf(ef: number): void {
    this.hnsw.setEf(ef);
  }

  search(vector: Float32Array, k: number): Neighbour[] {
    const count = Math.min(k, this.size);
    if (count <= 0) return [];
    const { neighbors, distances } = this.hnsw.searchKnn(Array.from(vector), count);
    return neighbors.map((label, i) => ({ label, similarity: 1 - (distances[i] ?? 1) }));
  }

  /** Exact cosine between `vector` and the stored point `label` (stored points are normalised). */
  similarityTo(label: number, vector: Float32Array): number {
    const point = this.hnsw.getPoint(label);
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
      await this.hnsw.writeIndex(temporary);
    });
  }
}
