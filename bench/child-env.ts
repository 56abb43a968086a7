import type { CoreConfig } from '../src/config.ts';

/**
 * The environment for a bench child process: the same model and sources as the bench, quiet
 * logs, plus what the section changes (its own INDEX_DIR, SERVERS_DIR …).
 */
export function childEnv(config: CoreConfig, overrides: Record<string, string>): NodeJS.ProcessEnv {
  return {
    ...process.env,
    EMBEDDING_MODEL: config.embeddingModel,
    EMBEDDING_DTYPE: config.embeddingDtype,
    SOURCES_DIR: config.sourcesDir,
    INDEX_DIR: config.indexDir,
    LOG_LEVEL: 'error',
    ...overrides,
  };
}
