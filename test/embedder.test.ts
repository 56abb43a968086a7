import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs, { cpSync, existsSync, mkdirSync, type PathLike, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { cpuPressure } from '../src/embedding/cpu-pressure.ts';
import { type Embedder, getEmbedder, WORKER_MIN_TEXTS } from '../src/embedding/embedder.ts';
import { OffThreadEmbedder } from '../src/embedding/off-thread.ts';
import { UserFacingError } from '../src/errors.ts';
import type { ProgressEvent } from '../src/progress.ts';
import { countModelRuns, FIXTURE_MODEL, ROOT, tempDir, testConfig } from './helpers.ts';
import { startHubStandIn } from './hub-stand-in.ts';

const dot = (a: Float32Array, b: Float32Array) => a.reduce((sum, x, i) => sum + x * (b[i] ?? 0), 0);

describe('embedder on the fixture model (real transformers.js + onnxruntime)', () => {
  it('returns L2-normalised vectors in which texts sharing words are closer', async () => {
    const embedder = await getEmbedder(testConfig());
    assert.equal(embedder.dimension, 96);
    const [q, related, unrelated] = await embedder.embed(
      ['How many time zones does Russia have?', 'Russia has 11 time zones.', 'Bake the sourdough bread.'],
      'passage',
    );
    assert.ok(q && related && unrelated);
    assert.ok(Math.abs(dot(q, q) - 1) < 1e-4, 'normalised');
    assert.ok(dot(q, related) > dot(q, unrelated) + 0.2);
  });

  it("hands onnxruntime a local model's ONNX file by path, never reading it as a stream", async () => {
    // transformers.js streamed the whole file into memory on the main thread, unread (90 MB for MiniLM).
    const opened: string[] = [];
    const original = fs.createReadStream;
    fs.createReadStream = ((path: PathLike, options?: Parameters<typeof original>[1]) => {
      opened.push(String(path));
      return original(path, options);
    }) as typeof original;
    try {
      // A setting no other test uses, so the model is loaded here and not taken from the shared cache.
      const embedder = await getEmbedder(testConfig({ PASSAGE_MAX_TOKENS: '255' }));
      assert.equal((await embedder.embed(['Russia has 11 time zones.'], 'passage'))[0]?.length, 96);
    } finally {
      fs.createReadStream = original;
    }
    assert.ok(
      opened.some((p) => p.endsWith('tokenizer.json')),
      'the spy saw the files read as streams',
    );
    assert.deepEqual(
      opened.filter((p) => p.endsWith('.onnx')),
      [],
    );
  });

  it('pools bit for bit as transformers.js does (mean pooling, then L2 normalisation)', async () => {
    const embedder = await getEmbedder(testConfig());
    const { pipeline } = await import('@huggingface/transformers');
    const reference = await pipeline('feature-extraction', FIXTURE_MODEL, { dtype: 'fp32' });
    // Different lengths in one batch, so padded positions must be left out of the mean.
    const texts = ['Russia', 'How many time zones does Russia have?', 'They have 11 time zones, Trump said.'];
    const ours = await embedder.embed(texts, 'passage');
    const theirs = await reference(texts, { pooling: 'mean', normalize: true });
    const dim = theirs.dims[1] as number;
    texts.forEach((_, row) => {
      assert.deepEqual(
        ours[row],
        (theirs.data as Float32Array).slice(row * dim, (row + 1) * dim),
        `row ${row}`,
      );
    });
  });

  it('gives the same vectors batched as one by one, beyond one batch', async () => {
    const embedder = await getEmbedder(testConfig());
    const texts = Array.from({ length: 40 }, (_, i) => `Sentence number ${i} about rare earth elements.`);
    const events: ProgressEvent[] = [];
    const batched = await embedder.embed(texts, 'passage', (e) => events.push(e));
    const single = await embedder.embed([texts[37] ?? ''], 'passage');
    assert.equal(batched.length, 40);
    assert.ok(dot(batched[37] ?? new Float32Array(), single[0] ?? new Float32Array()) > 0.9999);
    assert.deepEqual(
      events.map((e) => e.done),
      [16, 32, 40],
    );
  });

  it('embeds a large job in the embedding worker, with the same vectors as the main thread', async () => {
    const embedder = await getEmbedder(testConfig());
    const texts = Array.from(
      { length: WORKER_MIN_TEXTS + 10 },
      (_, i) => `Passage ${i} about rare earth ${i % 7}.`,
    );
    const events: ProgressEvent[] = [];
    const job = embedder.embed(texts, 'passage', (e) => events.push(e));
    // Asked while the job runs: answered by the main thread's model, not after the whole job.
    const [question] = await embedder.embed(['rare earth'], 'query');
    const jobDoneWhenQuestionAnswered = events.at(-1)?.done === texts.length;
    const vectors = await job;
    assert.ok(question);
    assert.equal(vectors.length, texts.length);
    for (const i of [0, 137, texts.length - 1]) {
      const [alone] = await embedder.embed([texts[i] ?? ''], 'passage');
      assert.ok(dot(vectors[i] ?? new Float32Array(), alone ?? new Float32Array()) > 0.9999, `text ${i}`);
    }
    // The worker takes batches of 32 (the main thread 16, to keep its event loop responsive).
    assert.equal(events[0]?.done, 32);
    assert.equal(events.at(-1)?.done, texts.length);
    assert.equal(jobDoneWhenQuestionAnswered, false);
  });

  it('keeps the embedding worker warm between large jobs, then stops it after the idle time', async () => {
    const worker = new OffThreadEmbedder(testConfig(), 1500);
    try {
      const texts = (n: number) => Array.from({ length: 40 }, (_, i) => `Job ${n}, passage ${i}.`);
      assert.equal(worker.threadId, null, 'started lazily, on the first job');
      await worker.embed(texts(1), 'passage');
      const first = worker.threadId;
      assert.notEqual(first, null, 'kept after its job');
      const second = await worker.embed(texts(2), 'passage');
      assert.equal(second.length, 40);
      assert.equal(worker.threadId, first, 'the second job reuses the loaded worker');
      await new Promise((resolve) => setTimeout(resolve, 2500));
      assert.equal(worker.threadId, null, 'stopped after the idle time');
      await worker.embed(texts(3), 'passage');
      assert.notEqual(worker.threadId, null, 'started again for the next job');
    } finally {
      await worker.close();
    }
    assert.equal(worker.threadId, null, 'close() stops it at once');
  });

  it('an idle warm worker does not keep the process alive', () => {
    // A child process embeds a large job and returns without close(): it must exit at once, not
    // after the worker's idle time (minutes).
    const script = `
      import { getEmbedder, WORKER_MIN_TEXTS } from ${JSON.stringify(pathToFileURL(join(ROOT, 'src/embedding/embedder.ts')).href)};
      const embedder = await getEmbedder(JSON.parse(process.env.SETTINGS));
      const vectors = await embedder.embed(Array.from({ length: WORKER_MIN_TEXTS }, (_, i) => 'text ' + i), 'passage');
      console.log('embedded', vectors.length);
    `;
    const started = Date.now();
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: ROOT,
      env: { ...process.env, SETTINGS: JSON.stringify(testConfig()) },
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(child.status, 0, child.stderr);
    assert.match(child.stdout, new RegExp(`embedded ${WORKER_MIN_TEXTS}`));
    assert.ok(Date.now() - started < 60_000, 'exited without waiting for the idle time');
  });

  it('counts word pieces with the model tokenizer, special tokens included', async () => {
    const embedder = await getEmbedder(testConfig());
    assert.equal(embedder.countTokens('russia time zones'), 5);
    assert.equal(embedder.maxTokens, 256);
  });

  it('puts QUERY_PREFIX before questions only (models such as e5 and bge want one)', async () => {
    const plain = await getEmbedder(testConfig());
    const prefixed = await getEmbedder(testConfig({ QUERY_PREFIX: 'query: question ' }));
    const [a] = await plain.embed(['rare earth'], 'query');
    const [b] = await prefixed.embed(['rare earth'], 'query');
    const [c] = await prefixed.embed(['rare earth'], 'passage');
    assert.ok(a && b && c);
    assert.ok(dot(a, b) < 0.999, 'the prefix changes the query vector');
    assert.ok(dot(a, c) > 0.9999, 'passages are embedded without it');
  });

  it('embeds a question with its words in one model call, each vector bit for bit as alone', async () => {
    // A query prefix, so a mix-up of the question's and the words' prefixes would show.
    const embedder = await getEmbedder(testConfig({ QUERY_PREFIX: 'q: ', PASSAGE_PREFIX: 'w: ' }));
    const question = 'Russia exports?';
    const words = ['crude', 'oil'];
    let together: Float32Array[] = [];
    const runs = await countModelRuns(async () => {
      together = await embedder.embedQuestionWith(question, words);
    });
    assert.equal(runs, 1, 'one model call');
    const [alone] = await embedder.embed([question], 'query');
    assert.deepEqual(together[0], alone, 'the question, as embedded alone with its prefix');
    for (const [i, word] of words.entries())
      assert.deepEqual(together[i + 1], (await embedder.embed([word], 'passage'))[0], word);
  });

  it('embeds a long question apart from its words when padding them would cost more than a call', async () => {
    const embedder = await getEmbedder(testConfig());
    const question = `Which ${'very '.repeat(30)}rare earth elements does Russia export to China by sea?`;
    const words = ['crude', 'tankers', 'lumber'];
    let vectors: Float32Array[] = [];
    const runs = await countModelRuns(async () => {
      vectors = await embedder.embedQuestionWith(question, words);
    });
    assert.equal(runs, 2, 'the question alone, then its words');
    assert.deepEqual(vectors[0], (await embedder.embed([question], 'query'))[0]);
    assert.deepEqual(vectors[3], (await embedder.embed(['lumber'], 'passage'))[0]);
  });

  it('is loaded once: concurrent callers share one promise', async () => {
    const config = testConfig();
    const [a, b] = await Promise.all([getEmbedder(config), getEmbedder(config)]);
    assert.equal(a, b);
  });

  it('names EMBEDDING_MODEL when the folder does not exist', async () => {
    await assert.rejects(
      getEmbedder(testConfig({ EMBEDDING_MODEL: '/nonexistent/model/dir' })),
      (error: unknown) => {
        assert.ok(error instanceof UserFacingError);
        assert.match(error.message, /^embedder: EMBEDDING_MODEL points to "\/nonexistent\/model\/dir"/);
        return true;
      },
    );
  });

  it('names EMBEDDING_MODEL when the model folder is corrupt', async () => {
    const broken = join(tempDir(), 'broken-model');
    cpSync(FIXTURE_MODEL, broken, { recursive: true });
    writeFileSync(join(broken, 'onnx', 'model.onnx'), 'not an onnx file');
    await assert.rejects(
      getEmbedder(testConfig({ EMBEDDING_MODEL: broken })),
      /^UserFacingError: embedder: cannot load the model in .* \(EMBEDDING_MODEL\)/,
    );
  });
});

describe('ONNX_SPINNING: which onnxruntime session answers a question', () => {
  const question = (embedder: Embedder, i: number) =>
    embedder.embed([`question ${i} about rare earth`], 'query');

  /** Plays a machine whose cores are free (CPU pressure 0) for `work`. */
  async function onIdleMachine<T>(work: () => Promise<T>): Promise<T> {
    const read = cpuPressure.read;
    cpuPressure.read = () => 0;
    try {
      return await work();
    } finally {
      cpuPressure.read = read;
    }
  }

  it('1 forces the spinning session, and 0 or no setting the calm one, whatever the machine', async () => {
    await onIdleMachine(async () => {
      for (const [setting, expected] of [
        ['1', 'spinning'],
        ['0', 'calm'],
        ['', 'calm'],
      ] as const) {
        const embedder = await getEmbedder(testConfig({ ONNX_SPINNING: setting }));
        const before = embedder.questionCalls();
        for (let i = 0; i < 30; i++) await question(embedder, i);
        const after = embedder.questionCalls();
        assert.equal(after[expected] - before[expected], 30, `ONNX_SPINNING=${setting}`);
      }
    });
  });

  it('auto tries the spinning session on free cores, and never while a reload embeds in the worker', async () => {
    await onIdleMachine(async () => {
      const embedder = await getEmbedder(testConfig({ ONNX_SPINNING: 'auto' }));
      // The spinning session loads in the background on first need; then a trial starts.
      const deadline = Date.now() + 60_000;
      let i = 0;
      while (embedder.questionCalls().spinning === 0 && Date.now() < deadline) {
        await question(embedder, i++);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.ok(embedder.questionCalls().spinning > 0, 'spinning was tried on free cores');
      const texts = Array.from({ length: WORKER_MIN_TEXTS + 10 }, (_, n) => `Reload passage ${n}.`);
      let reloadDone = false;
      const reload = embedder.embed(texts, 'passage').then(() => {
        reloadDone = true;
      });
      const before = embedder.questionCalls();
      for (let n = 0; n < 10; n++) await question(embedder, n);
      const during = embedder.questionCalls();
      assert.equal(reloadDone, false, 'the questions were asked while the reload embedded');
      await reload;
      await embedder.close();
      assert.equal(during.spinning - before.spinning, 0, 'no question spun during the reload');
      assert.equal(during.calm - before.calm, 10);
    });
  });
});

describe('embedder download path against a local stand-in of the hub', () => {
  const modelId = 'quarry-test/tiny-embedder';

  it('downloads into MODEL_CACHE_DIR with progress, then loads offline from the cache', async () => {
    const hub = await startHubStandIn(modelId, FIXTURE_MODEL);
    const cacheDir = join(tempDir(), 'models');
    const events: ProgressEvent[] = [];
    try {
      const online = await getEmbedder(
        testConfig({ EMBEDDING_MODEL: modelId, MODEL_REMOTE_HOST: hub.url, MODEL_CACHE_DIR: cacheDir }),
        (e) => events.push(e),
      );
      assert.equal(online.dimension, 96);
      assert.ok(
        hub.requests.includes(`GET /${modelId}/resolve/main/onnx/model.onnx`),
        hub.requests.join('\n'),
      );
      assert.ok(hub.requests.includes(`GET /${modelId}/resolve/main/tokenizer.json`));
      assert.ok(existsSync(join(cacheDir, modelId, 'onnx', 'model.onnx')), 'model file cached');
      assert.ok(
        events.some((e) => e.stage === 'downloading'),
        'download progress reported',
      );
    } finally {
      await hub.close();
    }
    const requestsBefore = hub.requests.length;
    const offline = await getEmbedder(
      testConfig({
        EMBEDDING_MODEL: modelId,
        MODEL_REMOTE_HOST: hub.url,
        MODEL_CACHE_DIR: cacheDir,
        MODEL_OFFLINE: 'true',
      }),
    );
    const [v] = await offline.embed(['rare earth'], 'query');
    assert.equal(v?.length, 96);
    assert.equal(hub.requests.length, requestsBefore, 'no request while offline');
  });

  it('offline with an empty cache: a clear error naming EMBEDDING_MODEL and MODEL_OFFLINE', async () => {
    const cacheDir = join(tempDir(), 'empty-cache');
    mkdirSync(cacheDir);
    await assert.rejects(
      getEmbedder(testConfig({ EMBEDDING_MODEL: modelId, MODEL_CACHE_DIR: cacheDir, MODEL_OFFLINE: '1' })),
      /embedder: model "quarry-test\/tiny-embedder" \(EMBEDDING_MODEL\) is not in the cache .* MODEL_OFFLINE is set/,
    );
  });

  it('an unknown model id on the hub: a clear download error', async () => {
    const hub = await startHubStandIn(modelId, FIXTURE_MODEL);
    try {
      await assert.rejects(
        getEmbedder(testConfig({ EMBEDDING_MODEL: 'nobody/no-such-model', MODEL_REMOTE_HOST: hub.url })),
        /embedder: cannot download model "nobody\/no-such-model" \(EMBEDDING_MODEL\)/,
      );
    } finally {
      await hub.close();
    }
  });
});
