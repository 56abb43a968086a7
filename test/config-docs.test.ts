/** Honest configuration: every key src/config.ts reads is documented in README.md and .env.example. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadCoreConfig } from '../src/config.ts';
import { ROOT } from './helpers.ts';

const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

/** Keys as config.ts reads them: helper calls `(env, 'KEY'` and direct `env.KEY`. */
function keysReadByConfig(): string[] {
  const source = read(join('src', 'config.ts'));
  const keys = new Set<string>();
  for (const match of source.matchAll(/\(env, '([A-Z][A-Z0-9_]+)'/g)) keys.add(match[1] ?? '');
  for (const match of source.matchAll(/\benv\.([A-Z][A-Z0-9_]+)/g)) keys.add(match[1] ?? '');
  return [...keys].sort();
}

describe('configuration documentation', () => {
  const keys = keysReadByConfig();

  it('finds the keys (the scan itself works)', () => {
    for (const key of ['DISCORD_TOKEN', 'EMBEDDING_MODEL', 'LOG_FILE', 'URL_SOURCES_FILE'])
      assert.ok(keys.includes(key), key);
  });

  it('README configuration table lists every key', () => {
    const readme = read('README.md');
    const table = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## URL sources'));
    const missing = keys.filter((key) => !new RegExp(`^\\|[^\\n]*\`${key}\``, 'm').test(table));
    assert.deepEqual(missing, []);
  });

  it('.env.example names every key and sets none but DISCORD_TOKEN, so copying it freezes no default', () => {
    const example = read('.env.example');
    assert.deepEqual(
      keys.filter((key) => !example.includes(key)),
      [],
    );
    const active = example.split('\n').filter((line) => /^[A-Z_]+=/.test(line));
    assert.deepEqual(active, ['DISCORD_TOKEN=']);
  });

  it('.env.example as copied gives the same settings as no .env at all', () => {
    const fromExample = Object.fromEntries(
      read('.env.example')
        .split('\n')
        .filter((line) => /^[A-Z_]+=/.test(line))
        .map((line) => line.split('=', 2) as [string, string]),
    );
    assert.deepEqual(loadCoreConfig(fromExample), loadCoreConfig({}));
  });
});
