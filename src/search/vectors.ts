/** Dot product of two normalised vectors (cosine), optionally reading `b` from a flat block at `row`. */
export function cosineAt(query: Float32Array, block: Float32Array, row: number): number {
  const dim = query.length;
  const offset = row * dim;
  let sum = 0;
  for (let i = 0; i < dim; i++) sum += (query[i] ?? 0) * (block[offset + i] ?? 0);
  return sum;
}
