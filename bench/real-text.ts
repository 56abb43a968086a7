/**
 * A real-text vector set for the HNSW bench: sentences from text already on the machine (Debian
 * documentation in /usr/share/doc, English man pages, the READMEs of installed npm packages),
 * deduplicated, 5–60 words, shuffled with a fixed seed, embedded once with a given model and
 * cached under data/bench-cache/ (git-ignored).
 *
 * Embedding 100,000 sentences takes long on a shared 2-core machine, so it is resumable: vectors
 * are written in chunks of CHUNK sentences, each file renamed into place only when complete, and
 * a restarted run embeds only the chunks that are missing. The cache is keyed by model and dtype.
 *
 *   nice -n 19 npx tsx bench/real-text.ts [--model all-MiniLM-L6-v2] [--dtype fp32] [--count 102000]
 */
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { type EmbeddingDtype, loadCoreConfig, loadEnvFile } from '../src/config.ts';
import { getEmbedder } from '../src/embedding/embedder.ts';
import { configureLog } from '../src/log.ts';
import { DEFAULT_MODEL } from '../src/model/catalog.ts';
import { splitSentences } from '../src/text/sentences.ts';
import { seededRandom } from './stats.ts';

export const CACHE_DIR = resolve('data/bench-cache/real-text');
const CHUNK = 1000;
/** Held out of the indexed set and embedded as questions ('query' kind), so they are not in the index. */
export const QUERY_COUNT = 500;
const SENTENCES_FILE = join(CACHE_DIR, 'sentences.txt');

// ---------------------------------------------------------------- collecting sentences

function filesUnder(root: string, accept: (path: string) => boolean, out: string[] = []): string[] {
  let entries: string[];
  try {
    entries = readdirSync(root);
  } catch {
    return out;
  }
  for (const name of entries.sort()) {
    const path = join(root, name);
    let stats: ReturnType<typeof statSync>;
    try {
      stats = statSync(path);
    } catch {
      continue;
    }
    if (stats.isDirectory()) filesUnder(path, accept, out);
    else if (stats.isFile() && stats.size < 512 * 1024 && accept(path)) out.push(path);
  }
  return out;
}

function readMaybeGzipped(path: string): string {
  const bytes = readFileSync(path);
  return (path.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
}

/** roff source to plain paragraphs: drop requests and escapes, keep the running text. */
function roffToText(source: string): string {
  return source
    .split('\n')
    .map((line) => {
      if (/^[.'](SH|SS|PP|LP|P|TP|IP|HP|sp|br|RS|RE)\b/.test(line)) return '';
      const macroText = /^\.(?:B|I|BI|BR|IB|IR|RB|RI|SM)\s+(.*)$/.exec(line);
      if (macroText) return (macroText[1] ?? '').replace(/"/g, '');
      if (/^[.']/.test(line)) return '';
      return line;
    })
    .join('\n')
    .replace(/\\f(?:\[[^\]]*\]|\(..|.)/g, '')
    .replace(/\\\(..|\\\[[^\]]*\]|\\\*(?:\(..|\[[^\]]*\]|.)/g, ' ')
    .replace(/\\[-&e|^%]/g, (m) => (m === '\\-' ? '-' : m === '\\e' ? '\\' : ''));
}

function markdownToText(source: string): string {
  return source
    .replace(/```[\s\S]*?```/g, '\n\n')
    .replace(/<[^>]+>/g, ' ')
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[`*_#>|]/g, ' ');
}

/** A sentence worth indexing: 5–60 words, mostly words (not code, tables or licence boilerplate markup). */
function acceptable(sentence: string): boolean {
  const words = sentence.split(/\s+/).filter(Boolean);
  if (words.length < 5 || words.length > 60) return false;
  const letters = sentence.match(/\p{L}/gu)?.length ?? 0;
  if (letters / sentence.length < 0.7) return false;
  return /^[\p{Lu}\p{N}"'(]/u.test(sentence) && /[.!?:)"']$/.test(sentence);
}

function sentencesOf(text: string, into: Set<string>, seen: Set<string>): void {
  for (const paragraph of text.split(/\n\s*\n/)) {
    const flat = paragraph.replace(/\s+/g, ' ').trim();
    // Long "paragraphs" are tables, word lists or unwrapped licence text: not sentences.
    if (!flat || flat.length > 3000) continue;
    for (const span of splitSentences(flat)) {
      const sentence = flat.slice(span.start, span.end);
      if (!acceptable(sentence)) continue;
      const key = sentence.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ');
      if (seen.has(key)) continue;
      seen.add(key);
      into.add(sentence);
    }
  }
}

export function collectSentences(
  roots = { doc: '/usr/share/doc', man: '/usr/share/man', npm: 'node_modules' },
) {
  const sentences = new Set<string>();
  const seen = new Set<string>();
  const manDirs = existsSync(roots.man)
    ? readdirSync(roots.man)
        .filter((d) => /^man\d$/.test(d))
        .map((d) => join(roots.man, d))
    : [];
  const say = (what: string) =>
    process.stderr.write(`real-text: ${what}: ${sentences.size} sentences so far\n`);
  for (const dir of manDirs)
    for (const file of filesUnder(dir, (p) => /\.\d\w*(\.gz)?$/.test(p)))
      sentencesOf(roffToText(readMaybeGzipped(file)), sentences, seen);
  say('man pages');
  for (const file of filesUnder(roots.doc, (p) => /(readme|news|faq|\.txt|\.md)[^/]*$/i.test(p)))
    sentencesOf(readMaybeGzipped(file), sentences, seen);
  say('/usr/share/doc');
  for (const file of filesUnder(roots.npm, (p) => /readme\.md$/i.test(p)))
    sentencesOf(markdownToText(readFileSync(file, 'utf8')), sentences, seen);
  say('npm READMEs');
  // Shuffled with a fixed seed: the held-out questions are a sample of all sources, not the last one.
  const all = [...sentences];
  const random = seededRandom(42);
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [all[i], all[j]] = [all[j] as string, all[i] as string];
  }
  return all;
}

/** The cached sentence list (collected once: the files on the machine may change later). */
export function loadSentences(count: number): string[] {
  if (!existsSync(SENTENCES_FILE)) {
    mkdirSync(CACHE_DIR, { recursive: true });
    const all = collectSentences();
    writeFileSync(`${SENTENCES_FILE}.tmp`, `${all.join('\n')}\n`);
    renameSync(`${SENTENCES_FILE}.tmp`, SENTENCES_FILE);
  }
  const all = readFileSync(SENTENCES_FILE, 'utf8').split('\n').filter(Boolean);
  if (all.length < count)
    throw new Error(`bench: only ${all.length} distinct sentences found on this machine, ${count} asked`);
  return all.slice(0, count);
}

// ---------------------------------------------------------------- embedding, cached in chunks

export function modelCacheDir(model: string, dtype: string): string {
  return join(CACHE_DIR, `${model.replace(/[^\w.-]+/g, '_')}-${dtype}`);
}

const chunkFile = (dir: string, kind: 'passage' | 'query', index: number) =>
  join(dir, `${kind}-${String(index).padStart(4, '0')}.f32`);

export interface RealTextSet {
  model: string;
  dimension: number;
  /** n × dimension, indexed sentences ('passage' kind). */
  data: Float32Array;
  n: number;
  /** QUERY_COUNT × dimension, held-out sentences embedded as questions. */
  queries: Float32Array;
}

/**
 * The cached vectors: up to `maxN` indexed sentences (as many complete chunks as are embedded so
 * far, so a set still being embedded can be measured at its current size), or null when the
 * questions or the first chunk are missing.
 */
export function loadRealTextSet(model: string, dtype: string, maxN: number): RealTextSet | null {
  const dir = modelCacheDir(model, dtype);
  const meta = join(dir, 'meta.json');
  if (!existsSync(meta)) return null;
  const { dimension } = JSON.parse(readFileSync(meta, 'utf8')) as { dimension: number };
  const chunks = (kind: 'passage' | 'query', count: number) => {
    const parts: Float32Array[] = [];
    for (let c = 0; c * CHUNK < count && existsSync(chunkFile(dir, kind, c)); c++) {
      const bytes = readFileSync(chunkFile(dir, kind, c));
      parts.push(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4));
    }
    const rows = Math.min(
      count,
      parts.reduce((n, p) => n + p.length / dimension, 0),
    );
    const out = new Float32Array(rows * dimension);
    let offset = 0;
    for (const part of parts) {
      const take = part.subarray(0, Math.min(part.length, out.length - offset));
      out.set(take, offset);
      offset += take.length;
    }
    return { rows, out };
  };
  const queries = chunks('query', QUERY_COUNT);
  const data = chunks('passage', maxN);
  if (queries.rows < QUERY_COUNT || data.rows === 0) return null;
  return { model, dimension, data: data.out, n: data.rows, queries: queries.out };
}

async function embedAll(model: string, dtype: EmbeddingDtype, count: number): Promise<void> {
  const sentences = loadSentences(count + QUERY_COUNT);
  const queries = sentences.slice(0, QUERY_COUNT);
  const passages = sentences.slice(QUERY_COUNT);
  const embedder = await getEmbedder({
    ...loadCoreConfig({ ...process.env, EMBEDDING_MODEL: model }),
    embeddingDtype: dtype,
  });
  const dir = modelCacheDir(model, dtype);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'meta.json'),
    `${JSON.stringify({ model: embedder.modelId, dimension: embedder.dimension })}\n`,
  );
  const started = Date.now();
  let embedded = 0;
  for (const [kind, texts] of [
    ['query', queries],
    ['passage', passages],
  ] as const) {
    for (let c = 0; c * CHUNK < texts.length; c++) {
      const file = chunkFile(dir, kind, c);
      if (existsSync(file)) continue;
      const vectors = await embedder.embed(texts.slice(c * CHUNK, (c + 1) * CHUNK), kind);
      const flat = new Float32Array(vectors.length * embedder.dimension);
      vectors.forEach((v, i) => {
        flat.set(v, i * embedder.dimension);
      });
      writeFileSync(`${file}.tmp`, flat);
      renameSync(`${file}.tmp`, file);
      embedded += vectors.length;
      const rate = embedded / ((Date.now() - started) / 1000);
      process.stdout.write(
        `${new Date().toISOString()} ${kind} chunk ${c}: ${embedded} embedded this run, ${rate.toFixed(1)} sentences/s\n`,
      );
    }
  }
  process.stdout.write(`done: ${count} sentences + ${QUERY_COUNT} questions cached in ${dir}\n`);
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('bench/real-text.ts')) {
  const { values } = parseArgs({
    options: {
      model: { type: 'string', default: DEFAULT_MODEL },
      dtype: { type: 'string', default: 'fp32' },
      count: { type: 'string', default: '100000' },
      'collect-only': { type: 'boolean', default: false },
    },
  });
  loadEnvFile();
  configureLog({ level: 'warn', file: null });
  const count = Number(values.count);
  if (values['collect-only']) {
    const all = loadSentences(0);
    process.stdout.write(`${all.length} distinct sentences in ${SENTENCES_FILE}\n`);
  } else {
    await embedAll(values.model, values.dtype as EmbeddingDtype, count);
  }
}
