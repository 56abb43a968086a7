import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { TLSSocket } from 'node:tls';
import {
  articleSources,
  FIXTURE_MODEL,
  type ProcessOutcome,
  runProcess,
  runTypeScript,
  tempDir,
} from './helpers.ts';

async function cli(args: string[], env: Record<string, string>, viaNpm = false): Promise<ProcessOutcome> {
  const options = { env: { ...process.env, ...env } };
  if (viaNpm) return runProcess('npm', ['run', '--silent', ...args], options);
  return runTypeScript(join('src', 'cli', `${args[0]}.ts`), args.slice(2), options);
}

function environment(): Record<string, string> {
  return {
    EMBEDDING_MODEL: FIXTURE_MODEL,
    SOURCES_DIR: articleSources(),
    INDEX_DIR: join(tempDir(), 'index'),
    MODEL_CACHE_DIR: join(tempDir(), 'models'),
    LOG_LEVEL: 'info',
  };
}

/**
 * Answers a Postgres client's TLS request like a server without TLS ('N'), or with TLS under a
 * self-signed certificate (made with openssl); the port it listens on. Closed after the tests.
 */
async function postgresTlsStandIn(mode: 'no TLS' | 'self-signed'): Promise<number> {
  let tlsOptions: { key: Buffer; cert: Buffer } | undefined;
  if (mode === 'self-signed') {
    const dir = tempDir();
    execFileSync(
      'openssl',
      [
        'req',
        '-new',
        '-x509',
        '-days',
        '2',
        '-nodes',
        '-subj',
        '/CN=quarry-test-db',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    tlsOptions = { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
  }
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    // The client's SSLRequest is 8 bytes; the server's answer is one.
    socket.once('data', () => {
      if (!tlsOptions) return void socket.end('N');
      socket.write('S');
      new TLSSocket(socket, { isServer: true, ...tlsOptions }).on('error', () => socket.destroy());
    });
  });
  standIns.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}
const standIns: Server[] = [];
const HAVE_OPENSSL = spawnSync('openssl', ['version']).status === 0;
after(() => {
  for (const server of standIns) server.close();
});

describe('CLI', () => {
  it('npm run --silent ask -- --json prints only the JSON contract on stdout, building the index on first use', async () => {
    const env = environment();
    const out = await cli(['ask', '--', '--json', 'How many time zones does Russia have?'], env, true);
    assert.equal(out.code, 0, out.stderr);
    const answer = JSON.parse(out.stdout);
    assert.deepEqual(Object.keys(answer), ['question', 'answered', 'results']);
    assert.equal(answer.answered, true);
    const top = answer.results[0];
    for (const [key, type] of Object.entries({
      text: 'string',
      quote: 'string',
      score: 'number',
      source: 'string',
      paragraph: 'number',
      passageId: 'string',
    })) {
      assert.equal(typeof top[key], type, key);
    }
    assert.match(top.text, /11 time zones/);
    assert.ok(top.text.includes(top.quote));
    assert.match(out.stderr, /building it from/);
  });

  it('asking again after every index file was truncated: right answer, a warning, exit 0', async () => {
    const env = environment();
    assert.equal((await cli(['ingest'], env)).code, 0);
    for (const entry of readdirSync(env.INDEX_DIR ?? '', { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) truncateSync(join(entry.parentPath, entry.name), 0);
    }
    const out = await cli(['ask', '--', '--json', 'How many time zones does Russia have?'], env);
    assert.equal(out.code, 0, out.stderr);
    assert.match(JSON.parse(out.stdout).results[0].text, /11 time zones/);
    assert.match(out.stderr, /warn: index: .*rebuilding from sources/);
  });

  it('ingest prints a summary; a binary file among the sources is skipped with a warning, exit 0', async () => {
    const env = environment();
    writeFileSync(
      join(env.SOURCES_DIR ?? '', 'photo.txt'),
      Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0, 0x10, 0x4a]),
    );
    const first = await cli(['ingest'], env);
    assert.equal(first.code, 0, first.stderr);
    assert.match(
      first.stdout,
      /ingest: 1 sources, 1 skipped, \d+ passages \(\d+ added, 0 removed, 0 unchanged/,
    );
    assert.match(first.stderr, /warn: sources: skipped photo\.txt: looks like a binary file/);
    const second = await cli(['ingest'], env);
    assert.match(second.stdout, /\(0 added, 0 removed, \d+ unchanged; 0 texts embedded\)/);
  });

  it('an off-topic question: answered false, no results', async () => {
    const out = await cli(
      ['ask', '--', '--json', 'Comments are closed. Please check back later.'],
      environment(),
    );
    const answer = JSON.parse(out.stdout);
    assert.equal(out.code, 0);
    // The feed boilerplate this question quotes was cleaned out of the sources: nothing answers it.
    assert.equal(answer.answered, false);
    assert.deepEqual(answer.results, []);
  });

  it('a bad setting is one line naming it, exit code 1, no stack trace', async () => {
    const out = await cli(['ask', '--', 'anything'], { ...environment(), TOP_K: 'many' });
    assert.equal(out.code, 1);
    assert.equal(out.stderr.trim(), 'config: TOP_K must be a whole number from 1 to 10, got "many"');
  });

  // Was: exit 2 with a stack trace, as a bug, for all of them.
  for (const [what, address, expected] of [
    // Port 1: nothing listens, the connection is refused at once.
    ['nothing answers', async () => '127.0.0.1:1/quarry', /\(ECONNREFUSED.*check that Postgres runs/],
    // A port that is not a number: pg's URL parse fails ("TypeError: Invalid URL").
    ['is not a valid address', async () => '127.0.0.1:54x2/quarry', /\(ERR_INVALID_URL.*not a valid address/],
    // node-postgres verifies the certificate for sslmode=require (psql does not).
    [
      'asks for TLS from a server with a self-signed certificate',
      async () => `127.0.0.1:${await postgresTlsStandIn('self-signed')}/quarry?sslmode=require`,
      /\(DEPTH_ZERO_SELF_SIGNED_CERT.*add sslrootcert=.*uselibpqcompat=true&sslmode=require/,
    ],
    [
      'asks for TLS from a server without it',
      async () => `127.0.0.1:${await postgresTlsStandIn('no TLS')}/quarry?sslmode=require`,
      /does not support SSL connections.*remove sslmode from DATABASE_URL/,
    ],
  ] as const) {
    const skip = what.includes('self-signed') && !HAVE_OPENSSL ? 'openssl is not installed' : false;
    it(`a DATABASE_URL that ${what}: one line saying what to check, exit 1, no password, no stack`, {
      skip,
    }, async () => {
      const out = await cli(['ask', '--', 'How many time zones?'], {
        ...environment(),
        DATABASE_URL: `postgres://quarry:s3cret-pw@${await address()}`,
      });
      assert.equal(out.code, 1, out.stderr);
      assert.match(out.stderr, /^postgres: could not open the DATABASE_URL database /m);
      assert.match(out.stderr, expected);
      assert.doesNotMatch(out.stderr, /s3cret-pw|\n\s+at /);
    });
  }

  it('a missing model folder names EMBEDDING_MODEL, exit code 1', async () => {
    const out = await cli(['ask', '--', 'anything'], {
      ...environment(),
      EMBEDDING_MODEL: './no/such/model',
    });
    assert.equal(out.code, 1);
    assert.match(out.stderr, /^embedder: EMBEDDING_MODEL points to "\.\/no\/such\/model"/);
    assert.doesNotMatch(out.stderr, /\n\s+at /);
  });
});

describe('CLI arguments (issue 11, item 2)', () => {
  it('a question that starts with "-" is a question, not a flag', async () => {
    const out = await cli(['ask', '--', '--json', '-5 degrees in Russia?'], environment());
    assert.equal(out.code, 0, out.stderr);
    assert.equal(JSON.parse(out.stdout).question, '-5 degrees in Russia?');
  });

  for (const [what, args, message] of [
    ['an unknown ingest flag', ['ingest', '--', '--foo'], /^ingest: Unknown option '--foo'/],
    [
      'eval --k abc (NaN once removed the result cap)',
      ['eval', '--', '--questions', 'q.jsonl', '--k', 'abc'],
      /^eval: --k must be a whole number from 1 to 10/,
    ],
    [
      'eval --min-relevance abc',
      ['eval', '--', '--questions', 'q.jsonl', '--min-relevance', 'abc'],
      /^eval: --min-relevance must be a number/,
    ],
    [
      'ask --k without its value',
      ['ask', '--', 'a question', '--k'],
      /^ask: Option '--k <value>' argument missing/,
    ],
    ['an unknown ask flag', ['ask', '--', '--verbose', 'a question'], /^ask: Unknown option '--verbose'/],
    ['a stray word after ingest', ['ingest', '--', 'extra'], /^ingest: Unexpected argument 'extra'/],
    [
      'model:fetch --help (was a stack trace)',
      ['model-fetch', '--', '--help'],
      /^model: Unknown option '--help'.*usage: npm run model:fetch/,
    ],
  ] as const) {
    it(`${what}: one line, exit code 1`, async () => {
      const out = await cli([...args], environment());
      assert.equal(out.code, 1, out.stderr);
      assert.match(out.stderr, message);
      assert.equal(out.stderr.trim().split('\n').length, 1, out.stderr);
    });
  }
});
