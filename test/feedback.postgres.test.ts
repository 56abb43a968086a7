/**
 * The feedback store suite (test/feedback.test.ts) again, on Postgres: one suite, two backends.
 * Needs QUARRY_TEST_DATABASE_URL (.ci/run starts a throwaway cluster); without it the suite is
 * skipped with a message.
 */
import { test } from 'node:test';

if (process.env.QUARRY_TEST_DATABASE_URL) {
  process.env.QUARRY_TEST_BACKEND = 'postgres';
  await import('./feedback.test.ts');
} else {
  test('feedback store on Postgres', { skip: 'QUARRY_TEST_DATABASE_URL is not set (see .ci/run)' }, () => {});
}
