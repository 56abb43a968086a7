/**
 * A value computed once per key and kept in `memo`; a full memo is emptied before the next entry,
 * so a stream of unique keys (members' questions, unknown words) cannot grow it without bound.
 * Only for pure computations over data that does not change while the memo lives.
 */
export function remembered<K, V>(memo: Map<K, V>, limit: number, key: K, compute: (key: K) => V): V {
  const known = memo.get(key);
  if (known !== undefined || memo.has(key)) return known as V;
  const value = compute(key);
  if (memo.size >= limit) memo.clear();
  memo.set(key, value);
  return value;
}
