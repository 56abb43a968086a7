/**
 * Splitting speed on sources of awkward shapes (issue 11: "a 5 MB source of any shape splits in
 * seconds"): one long line without punctuation, CJK without spaces, many short sentences, a run
 * of initials. Reports seconds and characters tokenised per input character for each.
 */
import type { Embedder } from '../src/embedding/embedder.ts';
import { splitIntoPassages } from '../src/passages/split.ts';
import { sourceFromText } from '../src/sources/load.ts';

function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 48271) % 2147483647;
    return state / 2147483647;
  };
}

function shapes(bytes: number): Record<string, string> {
  const random = seeded(7);
  const word = () => Math.floor(random() * 1e6).toString(36);
  const fill = (make: () => string, unitBytes = 1) => {
    const parts: string[] = [];
    let size = 0;
    while (size < bytes) {
      const part = make();
      parts.push(part);
      size += part.length * unitBytes;
    }
    return parts;
  };
  return {
    'one line, no punctuation': fill(() => `${word()} `).join(''),
    'CJK, no spaces or punctuation': fill(
      () => String.fromCharCode(0x4e00 + Math.floor(random() * 2000)),
      3,
    ).join(''),
    'short sentences, one paragraph': fill(() => `Word ${word()} is here now. `).join(''),
    'initials ("A. A. A. …")': 'A. '.repeat(Math.floor(bytes / 3)),
  };
}

export interface SplitRow {
  shape: string;
  megabytes: number;
  seconds: number;
  passages: number;
  tokenisedPerChar: number;
}

export function benchSplit(embedder: Embedder, megabytes: number): SplitRow[] {
  const rows: SplitRow[] = [];
  for (const [shape, text] of Object.entries(shapes(megabytes * 1048576))) {
    const source = sourceFromText('bench.txt', text, 'text');
    if (!('text' in source)) throw new Error(`bench: ${shape} was skipped (${source.reason})`);
    let chars = 0;
    const started = performance.now();
    const passages = splitIntoPassages(source, embedder.maxTokens, (t) => {
      chars += t.length;
      return embedder.countTokens(t);
    });
    rows.push({
      shape,
      megabytes,
      seconds: Math.round(performance.now() - started) / 1000,
      passages: passages.length,
      tokenisedPerChar: Math.round((chars / source.text.length) * 100) / 100,
    });
  }
  return rows;
}
