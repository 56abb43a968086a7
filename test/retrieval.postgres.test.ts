/**
 * The retrieval suite (test/retrieval.test.ts) again, on the Postgres + pgvector backend: one
 * suite, two backends. Needs QUARRY_TEST_DATABASE_URL (.ci/run starts a throwaway cluster);
 * without it the suite is skipped with a message.
 */
import { test } from 'node:test';

if (process.env.QUARRY_TEST_DATABASE_URL) {
  process.env.QUARRY_TEST_BACKEND = 'postgres';
  await import('./retrieval.test.ts');
} else {
  test('retrieval on Postgres', { skip: 'QUARRY_TEST_DATABASE_URL is not set (see .ci/run)' }, () => {});
}
