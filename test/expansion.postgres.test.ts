/**
 * The lexical-expansion suite (test/expansion.test.ts) again, on the Postgres + pgvector backend,
 * whose search passes the expansion through its own candidate step. Needs
 * QUARRY_TEST_DATABASE_URL (.ci/run starts a throwaway cluster); skipped with a message without it.
 */
import { test } from 'node:test';

if (process.env.QUARRY_TEST_DATABASE_URL) {
  process.env.QUARRY_TEST_BACKEND = 'postgres';
  await import('./expansion.test.ts');
} else {
  test('lexical expansion on Postgres', {
    skip: 'QUARRY_TEST_DATABASE_URL is not set (see .ci/run)',
  }, () => {});
}
