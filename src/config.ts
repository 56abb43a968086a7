/**
 * The one place that reads the environment. dotenv loads `.env`; every key is validated here at
 * start-up so a mistake is one clear line (a UserFacingError), never a crash later.
 * `.env.example` documents every key below; keep them in step.
 */
import { resolve } from 'node:path';
import { config as loadDotenv } from 'dotenv';
import { UserFacingError } from './errors.ts';
import { LOG_LEVELS, type LogLevel, registerSecret } from './log.ts';
import { DEFAULT_MODEL } from './model/catalog.ts';

export type SpinningSetting = 'auto' | 'on' | 'off';
export type SearchMode = 'hybrid' | 'dense' | 'bm25';
export const SEARCH_MODES: readonly SearchMode[] = ['hybrid', 'dense', 'bm25'];
export const EMBEDDING_DTYPES = ['fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4'] as const;
export type EmbeddingDtype = (typeof EMBEDDING_DTYPES)[number];

export interface CoreConfig {
  embeddingModel: string;
  embeddingDtype: EmbeddingDtype;
  modelCacheDir: string;
  modelOffline: boolean;
  modelRemoteHost: string;
  /** Unset: the catalog model's own prefix (see src/model/catalog.ts); set, even to "": that. */
  queryPrefix: string | undefined;
  passagePrefix: string | undefined;
  onnxThreads: number;
  /**
   * Whether onnxruntime's intra-op threads spin-wait for work (faster on idle cores only): `on`,
   * `off`, or `auto` (chosen per question by load, see src/embedding/spin-choice.ts).
   */
  onnxSpinning: SpinningSetting;
  sourcesDir: string;
  /** JSON list of URL sources and hosts allowed despite resolving to internal addresses. */
  urlSourcesFile: string;
  urlFetchTimeoutMs: number;
  indexDir: string;
  maxSourceBytes: number;
  passageMaxTokens: number;
  topK: number;
  searchMode: SearchMode;
  /** MIN_RELEVANCE when set; otherwise the model's calibration decides (src/search/calibration.ts). */
  minRelevance: number | null;
  /**
   * LEXICAL_EXPANSION: the cosine at which a source word stands in for a question word the sources
   * never use (src/search/expansion.ts); null: off. On (0.5) by default: README "Retrieval".
   */
  lexicalExpansion: number | null;
  hnsw: { m: number; efConstruction: number; ef: number };
  /** Per-server knowledge bases: SERVERS_DIR/<guild id>/{sources,index}. */
  serversDir: string;
  /** Server indexes kept in memory; the least recently used idle one is dropped beyond this. */
  maxLoadedServers: number;
  maxSourcesPerServer: number;
  /** Postgres + pgvector for indexes, feedback and the audit log, shared by every process (DATABASE_URL); unset: local files. */
  databaseUrl: string | undefined;
  /** Schema holding Quarry's tables in that database. */
  databaseSchema: string;
}

export interface BotConfig {
  token: string;
  clientId: string | undefined;
  guildId: string | undefined;
  moderatorRoleIds: string[];
  askCooldownSeconds: number;
  askPrivateByDefault: boolean;
  /** Only for tests and self-hosted gateways: where discord.js sends REST calls. */
  restApi: string | undefined;
  /** Members who may change the shared sources (SOURCES_DIR) from Discord. */
  ownerIds: string[];
  /** Hosts attachments may be downloaded from (Discord's CDN; a local one in tests). */
  attachmentHosts: string[];
  /** SQLite file of questions and votes (feedback, /gaps, /stats) and the sources audit log. */
  feedbackDb: string;
  /** Questions and votes older than this many days are deleted, daily. */
  retentionDays: number;
}

type Env = Record<string, string | undefined>;

let dotenvLoaded = false;
/** Loads `.env` once; real environment variables win over the file. */
export function loadEnvFile(): void {
  if (dotenvLoaded) return;
  dotenvLoaded = true;
  loadDotenv({ quiet: true });
}

function text(env: Env, key: string, fallback: string): string {
  const value = env[key]?.trim();
  return value ? value : fallback;
}

function integer(env: Env, key: string, fallback: number, min: number, max: number): number {
  const raw = env[key]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new UserFacingError('config', `${key} must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

function decimal(env: Env, key: string, fallback: number, min: number, max: number): number {
  const raw = env[key]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new UserFacingError('config', `${key} must be a number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

function flag(env: Env, key: string, fallback: boolean): boolean {
  const raw = env[key]?.trim().toLowerCase();
  if (!raw) return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new UserFacingError('config', `${key} must be true or false, got "${raw}"`);
}

/** `auto` (the default), or a forced choice spelt as any flag (1/0, true/false, on/off, yes/no). */
function spinningSetting(env: Env, key: string): SpinningSetting {
  const raw = env[key]?.trim().toLowerCase();
  // Calm by default: on a quiet machine `auto` measured no faster than calm and held a second
  // model copy (RSS 372–394 MB against 272–292, ~600 MB after 200 questions; README).
  if (!raw) return 'off';
  if (raw === 'auto') return 'auto';
  try {
    return flag(env, key, false) ? 'on' : 'off';
  } catch {
    throw new UserFacingError('config', `${key} must be auto, 1 or 0, got "${raw}"`);
  }
}

function oneOf<T extends string>(env: Env, key: string, choices: readonly T[], fallback: T): T {
  const raw = env[key]?.trim();
  if (!raw) return fallback;
  if ((choices as readonly string[]).includes(raw)) return raw as T;
  throw new UserFacingError('config', `${key} must be one of ${choices.join(', ')}, got "${raw}"`);
}

function snowflakes(env: Env, key: string): string[] {
  const ids = (env[key] ?? '')
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
  for (const id of ids) {
    if (!/^\d{5,25}$/.test(id))
      throw new UserFacingError('config', `${key} must list numeric Discord ids, got "${id}"`);
  }
  return ids;
}

function databaseUrl(env: Env): string | undefined {
  const raw = env.DATABASE_URL?.trim();
  if (!raw) return undefined;
  if (!/^postgres(ql)?:\/\//.test(raw)) {
    throw new UserFacingError('config', 'DATABASE_URL must start with postgres:// or postgresql://');
  }
  return raw;
}

function oneOfPattern(env: Env, key: string, pattern: RegExp, fallback: string): string {
  const value = text(env, key, fallback);
  if (!pattern.test(value))
    throw new UserFacingError('config', `${key} must match ${pattern}, got "${value}"`);
  return value;
}

/** A catalog short name; change the default in src/model/catalog.ts. */
export const DEFAULT_EMBEDDING_MODEL = DEFAULT_MODEL;

export function loadCoreConfig(env: Env = process.env): CoreConfig {
  return {
    embeddingModel: text(env, 'EMBEDDING_MODEL', DEFAULT_EMBEDDING_MODEL),
    embeddingDtype: oneOf(env, 'EMBEDDING_DTYPE', EMBEDDING_DTYPES, 'fp32'),
    modelCacheDir: resolve(text(env, 'MODEL_CACHE_DIR', 'data/models')),
    modelOffline: flag(env, 'MODEL_OFFLINE', flag(env, 'HF_HUB_OFFLINE', false)),
    modelRemoteHost: text(env, 'MODEL_REMOTE_HOST', 'https://huggingface.co/'),
    queryPrefix: env.QUERY_PREFIX,
    passagePrefix: env.PASSAGE_PREFIX,
    onnxThreads: integer(env, 'ONNX_THREADS', 0, 0, 64),
    onnxSpinning: spinningSetting(env, 'ONNX_SPINNING'),
    sourcesDir: resolve(text(env, 'SOURCES_DIR', 'data/sources')),
    urlSourcesFile: resolve(text(env, 'URL_SOURCES_FILE', 'data/url-sources.json')),
    urlFetchTimeoutMs: integer(env, 'URL_FETCH_TIMEOUT_SECONDS', 10, 1, 300) * 1000,
    indexDir: resolve(text(env, 'INDEX_DIR', 'data/index')),
    maxSourceBytes: integer(env, 'MAX_SOURCE_MB', 20, 1, 1024) * 1024 * 1024,
    passageMaxTokens: integer(env, 'PASSAGE_MAX_TOKENS', 256, 32, 8192),
    topK: integer(env, 'TOP_K', 3, 1, 10),
    searchMode: oneOf(env, 'SEARCH_MODE', SEARCH_MODES, 'hybrid'),
    minRelevance: env.MIN_RELEVANCE?.trim() ? decimal(env, 'MIN_RELEVANCE', 0, 0, 1) : null,
    lexicalExpansion: ['off', '0', 'false', 'no'].includes(env.LEXICAL_EXPANSION?.trim().toLowerCase() ?? '')
      ? null
      : decimal(env, 'LEXICAL_EXPANSION', 0.5, 0.1, 1),
    hnsw: {
      m: integer(env, 'HNSW_M', 16, 4, 96),
      efConstruction: integer(env, 'HNSW_EF_CONSTRUCTION', 200, 10, 2000),
      ef: integer(env, 'HNSW_EF', 64, 1, 4096),
    },
    serversDir: resolve(text(env, 'SERVERS_DIR', 'data/servers')),
    maxLoadedServers: integer(env, 'MAX_LOADED_SERVERS', 200, 1, 100_000),
    maxSourcesPerServer: integer(env, 'MAX_SOURCES_PER_SERVER', 20, 1, 1000),
    databaseUrl: databaseUrl(env),
    databaseSchema: oneOfPattern(env, 'DATABASE_SCHEMA', /^[a-z_][a-z0-9_]{0,62}$/, 'quarry'),
  };
}

export interface LogConfig {
  level: LogLevel;
  /** Absolute path every log line is also appended to, or null. */
  file: string | null;
}

export function loadLogConfig(env: Env = process.env): LogConfig {
  const file = env.LOG_FILE?.trim();
  return { level: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, 'info'), file: file ? resolve(file) : null };
}

export function loadBotConfig(env: Env = process.env): BotConfig {
  const token = env.DISCORD_TOKEN?.trim();
  if (!token) {
    throw new UserFacingError(
      'config',
      'DISCORD_TOKEN is not set',
      'put your bot token in .env (see .env.example)',
    );
  }
  // Read here and nowhere else, so registered here: no log line can carry it from now on.
  registerSecret(token);
  const clientId = env.DISCORD_CLIENT_ID?.trim() || undefined;
  const guildId = env.GUILD_ID?.trim() || undefined;
  for (const [key, value] of [
    ['DISCORD_CLIENT_ID', clientId],
    ['GUILD_ID', guildId],
  ] as const) {
    if (value && !/^\d{5,25}$/.test(value))
      throw new UserFacingError('config', `${key} must be a numeric id`);
  }
  return {
    token,
    clientId,
    guildId,
    moderatorRoleIds: snowflakes(env, 'MODERATOR_ROLE_IDS'),
    askCooldownSeconds: integer(env, 'ASK_COOLDOWN_SECONDS', 10, 0, 3600),
    askPrivateByDefault: flag(env, 'ASK_PRIVATE_DEFAULT', false),
    restApi: env.DISCORD_REST_API?.trim() || undefined,
    ownerIds: snowflakes(env, 'BOT_OWNER_IDS'),
    attachmentHosts: (env.ATTACHMENT_HOSTS ?? 'cdn.discordapp.com,media.discordapp.net')
      .split(/[\s,]+/)
      .filter(Boolean),
    feedbackDb: resolve(text(env, 'FEEDBACK_DB', 'data/feedback.db')),
    retentionDays: integer(env, 'RETENTION_DAYS', 90, 1, 3650),
  };
}
