/**
 * The index on disk. Each build is written as a new generation folder; a one-line pointer file,
 * CURRENT, names the live one and is replaced atomically, so a crash at any moment leaves either
 * the old complete index or the new complete index — never a mix.
 *
 *   INDEX_DIR/CURRENT                 "gen-…"
 *   INDEX_DIR/gen-…/manifest.json     format version, model, counts, sources, sha256 of each file
 *   INDEX_DIR/gen-…/passages.json
 *   INDEX_DIR/gen-…/vectors.hnsw      hnswlib graph over passage embeddings
 *   INDEX_DIR/gen-…/sentences.f32     sentence embeddings (key-sentence selection)
 *
 * hnswlib's readIndex barely validates its input, so nothing is handed to it before the manifest
 * and every checksum agree.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { errorMessage } from '../errors.ts';
import { sha256 } from '../hash.ts';
import type { Passage } from '../passages/split.ts';
import { fsyncDirectory, writeFileAtomic } from './atomic-file.ts';
import { type HnswParameters, VectorIndex } from './vector-index.ts';

/** 2: passageMaxTokens is required, and manifest and passages are checked against a schema. */
export const FORMAT_VERSION = 2;
const POINTER = 'CURRENT';
const FILES = { passages: 'passages.json', vectors: 'vectors.hnsw', sentences: 'sentences.f32' } as const;

export interface SourceSummary {
  id: string;
  title: string;
  url?: string;
  contentHash: string;
  passages: number;
  /** When this version of the source was first indexed (ISO time). */
  loadedAt: string;
}

export interface ModelIdentity {
  id: string;
  fingerprint: string;
  dimension: number;
}

export interface Manifest {
  formatVersion: number;
  model: ModelIdentity;
  /** The passage size limit the sources were split with. */
  passageMaxTokens: number;
  passageCount: number;
  sentenceCount: number;
  builtAt: string;
  hnsw: { space: 'cosine'; m: number; efConstruction: number };
  sources: SourceSummary[];
  files: Record<string, { bytes: number; sha256: string }>;
}

export interface StoredPassage extends Passage {
  /** Row of this passage's first sentence in the sentence-vector block. */
  sentenceRow: number;
}

export interface StoredIndex {
  manifest: Manifest;
  generation: string;
  passages: StoredPassage[];
  vectors: VectorIndex;
  sentenceVectors: Float32Array;
}

export type LoadOutcome =
  | { status: 'loaded'; index: StoredIndex }
  | { status: 'missing' }
  | { status: 'invalid'; reason: string };

/** The live generation's folder name, or null when there is none or CURRENT is damaged. */
export async function currentGeneration(indexDir: string): Promise<string | null> {
  try {
    return await readPointer(indexDir);
  } catch {
    return null;
  }
}

async function readPointer(indexDir: string): Promise<string | null> {
  let raw: string;
  try {
    raw = await readFile(join(indexDir, POINTER), 'utf8');
  } catch {
    return null;
  }
  const generation = raw.trim();
  if (!/^gen-[\w-]+$/.test(generation)) throw new Error(`${POINTER} is damaged`);
  return generation;
}

// What is read back from disk is checked against these schemas before anything uses it: a file
// that parses as JSON but has the wrong shape ("sources": null) once crashed every later ask.
const count = z.number().int().nonnegative();
const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const spanSchema = z
  .object({ start: count, end: count })
  .refine((s) => s.start <= s.end, 'span ends before it starts');
const manifestSchema = z.object({
  formatVersion: z.literal(FORMAT_VERSION),
  model: z.object({ id: z.string().min(1), fingerprint: z.string(), dimension: count.positive() }),
  passageMaxTokens: count.positive(),
  passageCount: count,
  sentenceCount: count,
  builtAt: z.string(),
  hnsw: z.object({ space: z.literal('cosine'), m: count.positive(), efConstruction: count.positive() }),
  sources: z.array(
    z.object({
      id: z.string().min(1),
      title: z.string(),
      url: z.string().optional(),
      contentHash: hex64,
      passages: count,
      loadedAt: z.string(),
    }),
  ),
  files: z.record(z.string(), z.object({ bytes: count, sha256: hex64 })),
});
const passagesSchema = z.array(
  z.object({
    id: z.string().min(1),
    sourceId: z.string().min(1),
    paragraph: count.positive(),
    start: count,
    end: count,
    text: z.string(),
    sentences: z.array(spanSchema).min(1),
    sentenceRow: count,
  }),
);

/** The first problem zod found, as "where: what" on one line. */
function schemaProblem(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'does not match the schema';
  const where = issue.path.length ? issue.path.join('.') : 'top level';
  return `${where}: ${issue.message}`;
}

function parseManifest(raw: string): Manifest {
  const json: unknown = JSON.parse(raw);
  const version = (json as { formatVersion?: unknown } | null)?.formatVersion;
  if (typeof version === 'number' && version !== FORMAT_VERSION)
    throw new Error(`format version ${version}, this Quarry writes ${FORMAT_VERSION}`);
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) throw new Error(`manifest is malformed (${schemaProblem(parsed.error)})`);
  return parsed.data as Manifest;
}

/** Passages must match the schema and agree with the manifest: counts, sentence rows, sources. */
function parsePassages(raw: string, manifest: Manifest): StoredPassage[] {
  const parsed = passagesSchema.safeParse(JSON.parse(raw));
  if (!parsed.success) throw new Error(`passages.json is malformed (${schemaProblem(parsed.error)})`);
  const passages = parsed.data as StoredPassage[];
  if (passages.length !== manifest.passageCount) throw new Error('passage count does not match the manifest');
  const sources = new Set(manifest.sources.map((s) => s.id));
  for (const p of passages) {
    if (p.end - p.start !== p.text.length) throw new Error(`passage ${p.id}: offsets do not match its text`);
    if (p.sentenceRow + p.sentences.length > manifest.sentenceCount)
      throw new Error(`passage ${p.id}: sentence rows beyond the sentence vectors`);
    if (!sources.has(p.sourceId))
      throw new Error(`passage ${p.id}: source ${p.sourceId} is not in the manifest`);
  }
  return passages;
}

async function verifyFiles(dir: string, manifest: Manifest): Promise<Map<string, Buffer>> {
  const contents = new Map<string, Buffer>();
  for (const name of Object.values(FILES)) {
    const expected = manifest.files[name];
    if (!expected) throw new Error(`manifest does not list ${name}`);
    const bytes = await readFile(join(dir, name));
    if (bytes.length !== expected.bytes)
      throw new Error(`${name} is ${bytes.length} bytes, the manifest says ${expected.bytes} (truncated?)`);
    if (sha256(bytes) !== expected.sha256) throw new Error(`${name} checksum mismatch`);
    contents.set(name, bytes);
  }
  return contents;
}

/**
 * Loads the live index if it is complete, intact and built with `model`. Never throws for a
 * damaged or stale index: it says why, and the caller rebuilds.
 */
export async function loadIndex(
  indexDir: string,
  model: ModelIdentity,
  params: HnswParameters,
): Promise<LoadOutcome> {
  let generation: string | null;
  try {
    generation = await readPointer(indexDir);
  } catch (error) {
    return { status: 'invalid', reason: errorMessage(error) };
  }
  if (!generation) return { status: 'missing' };
  const outcome = await loadGeneration(indexDir, generation, model, params);
  if (outcome !== VANISHED) return outcome;
  // A writer swapped generations twice since we read CURRENT (the previous one is kept, so one
  // swap is harmless): read the pointer again, once.
  const again = await currentGeneration(indexDir);
  if (again && again !== generation) {
    const retried = await loadGeneration(indexDir, again, model, params);
    if (retried !== VANISHED) return retried;
  }
  return { status: 'invalid', reason: `generation ${generation} vanished while it was being read` };
}

const VANISHED = Symbol('vanished');

async function loadGeneration(
  indexDir: string,
  generation: string,
  model: ModelIdentity,
  params: HnswParameters,
): Promise<LoadOutcome | typeof VANISHED> {
  const dir = join(indexDir, generation);
  try {
    const manifest = parseManifest(await readFile(join(dir, 'manifest.json'), 'utf8'));
    if (manifest.model?.id !== model.id || manifest.model.fingerprint !== model.fingerprint) {
      const what =
        manifest.model?.id === model.id
          ? `the files of ${model.id} changed since the index was built`
          : `index built with ${manifest.model?.id}, configured ${model.id}`;
      return { status: 'invalid', reason: `manifest model mismatch (${what})` };
    }
    if (manifest.model.dimension !== model.dimension) {
      return {
        status: 'invalid',
        reason: `dimension mismatch (index ${manifest.model.dimension}, model ${model.dimension})`,
      };
    }
    const contents = await verifyFiles(dir, manifest);
    const passages = parsePassages(contents.get(FILES.passages)?.toString('utf8') ?? '[]', manifest);
    const sentenceBytes = contents.get(FILES.sentences) ?? Buffer.alloc(0);
    const sentenceVectors = new Float32Array(
      sentenceBytes.buffer.slice(
        sentenceBytes.byteOffset,
        sentenceBytes.byteOffset + sentenceBytes.byteLength,
      ),
    );
    if (sentenceVectors.length !== manifest.sentenceCount * model.dimension) {
      return { status: 'invalid', reason: 'sentence vectors do not match the manifest' };
    }
    const vectors = await VectorIndex.load(join(dir, FILES.vectors), model.dimension, params.ef);
    if (vectors.size !== passages.length)
      return { status: 'invalid', reason: 'vector count does not match the passages' };
    return { status: 'loaded', index: { manifest, generation, passages, vectors, sentenceVectors } };
  } catch (error) {
    // Whatever failed (ENOENT, or hnswlib's "failed to open file"): a folder that is gone vanished.
    if (!(await exists(dir))) return VANISHED;
    return { status: 'invalid', reason: errorMessage(error) };
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

export interface IndexToWrite {
  model: ModelIdentity;
  passageMaxTokens: number;
  hnsw: HnswParameters;
  sources: SourceSummary[];
  passages: StoredPassage[];
  vectors: VectorIndex;
  sentenceVectors: Float32Array;
}

async function fileEntry(path: string): Promise<{ bytes: number; sha256: string }> {
  const bytes = await readFile(path);
  return { bytes: bytes.length, sha256: sha256(bytes) };
}

/**
 * Writes a complete new generation, then points CURRENT at it, then removes generations older
 * than the one it replaced.
 * If anything fails before the pointer moves, the live index is untouched.
 */
export async function writeIndex(
  indexDir: string,
  data: IndexToWrite,
): Promise<{ manifest: Manifest; generation: string; bytes: number }> {
  await mkdir(indexDir, { recursive: true });
  const generation = `gen-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const dir = join(indexDir, generation);
  await mkdir(dir);
  let written: { manifest: Manifest; bytes: number; previous: string | null };
  try {
    await writeFileAtomic(join(dir, FILES.passages), JSON.stringify(data.passages));
    await data.vectors.save(join(dir, FILES.vectors));
    const sv = data.sentenceVectors;
    await writeFileAtomic(
      join(dir, FILES.sentences),
      new Uint8Array(sv.buffer, sv.byteOffset, sv.byteLength),
    );
    const files: Manifest['files'] = {};
    for (const name of Object.values(FILES)) files[name] = await fileEntry(join(dir, name));
    const manifest: Manifest = {
      formatVersion: FORMAT_VERSION,
      model: data.model,
      passageMaxTokens: data.passageMaxTokens,
      passageCount: data.passages.length,
      sentenceCount: sv.length / data.model.dimension,
      builtAt: new Date().toISOString(),
      hnsw: { space: 'cosine', m: data.hnsw.m, efConstruction: data.hnsw.efConstruction },
      sources: data.sources,
      files,
    };
    await writeFileAtomic(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    await fsyncDirectory(dir);
    const previous = await currentGeneration(indexDir);
    await writeFileAtomic(join(indexDir, POINTER), `${generation}\n`);
    const bytes = Object.values(files).reduce((sum, f) => sum + f.bytes, 0);
    written = { manifest, bytes, previous };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  // After the swap: the new index is live whatever happens here, so a failed clean-up is not a
  // failed write (it once deleted the generation CURRENT had just been pointed at).
  await removeOldGenerations(indexDir, [generation, written.previous]).catch(() => undefined);
  return { manifest: written.manifest, generation, bytes: written.bytes };
}

/**
 * Removes generations other than `keep` (the live one and the one before it). A reader that read
 * CURRENT just before a swap is still opening the previous generation; only a reader two swaps
 * behind can find its generation gone, and loadIndex then reads CURRENT again.
 */
async function removeOldGenerations(indexDir: string, keep: (string | null)[]): Promise<void> {
  for (const entry of await readdir(indexDir)) {
    if (entry.startsWith('gen-') && !keep.includes(entry))
      await rm(join(indexDir, entry), { recursive: true, force: true });
  }
}

export async function indexSizeOnDisk(indexDir: string, generation: string): Promise<number> {
  let total = 0;
  for (const name of [...Object.values(FILES), 'manifest.json']) {
    try {
      total += (await stat(join(indexDir, generation, name))).size;
    } catch {
      // A file missing here is reported by loadIndex, not by a size query.
    }
  }
  return total;
}
