/**
 * The compiled build (`npm run build`, what `npm start` runs) carries everything the TypeScript
 * reads at run time, so the bot members talk to answers as the evaluated code (run through tsx)
 * does.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { findCalibration } from '../src/search/calibration.ts';
import { articleSources, FIXTURE_MODEL, ROOT, runProcess, runTypeScript, tempDir } from './helpers.ts';

describe('the compiled build', () => {
  // Inside the repository (dist/ is ignored), so the compiled code finds node_modules; a folder
  // of its own, so `npm start`'s build in another test file never writes into it.
  let outDir = '';
  before(async () => {
    mkdirSync(join(ROOT, 'dist'), { recursive: true });
    outDir = mkdtempSync(join(ROOT, 'dist', 'test-build-'));
    const build = await runProcess(
      join(ROOT, 'node_modules', '.bin', 'tsc'),
      ['-p', 'tsconfig.build.json', '--outDir', outDir],
      { env: process.env, cwd: ROOT, timeoutMs: 120000 },
    );
    assert.equal(build.code, 0, `${build.stdout}${build.stderr}`);
  });
  after(() => rmSync(outDir, { recursive: true, force: true }));

  it('finds every model calibration tsx finds (it answered with the fallback thresholds before)', async () => {
    const keys = Object.keys(
      JSON.parse(readFileSync(join(ROOT, 'src', 'search', 'calibrations.json'), 'utf8')),
    );
    assert.ok(keys.includes('all-MiniLM-L6-v2#fp32'), 'the default model is calibrated');
    const compiled = pathToFileURL(join(outDir, 'src', 'search', 'calibration.js')).href;
    const script = `const m = await import(${JSON.stringify(compiled)}); console.log(JSON.stringify(${JSON.stringify(keys)}.map((k) => m.findCalibration(k))));`;
    const run = await runProcess(process.execPath, ['--input-type=module', '-e', script], {
      env: process.env,
      timeoutMs: 30000,
    });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), keys.map(findCalibration));
  });

  it('sets up .env from .env.example (the compiled setup looked for dist/.env.example: exit 2)', async () => {
    const cwd = tempDir();
    const token = 'MTAwMDAwMDAwMDAwMDAwMDAx.GqA1bC.quarry-build-test-token-eeeeeeeeeeeeeeeeeeeeeeee';
    const run = await runProcess(process.execPath, [join(outDir, 'src', 'cli', 'setup.js')], {
      env: process.env,
      cwd,
      input: `${token}\n\n`,
      timeoutMs: 30000,
    });
    assert.equal(run.code, 0, run.stderr);
    const written = readFileSync(join(cwd, '.env'), 'utf8');
    assert.ok(written.startsWith(readFileSync(join(ROOT, '.env.example'), 'utf8').split('\n')[0] ?? '-'));
    assert.match(written, new RegExp(`^DISCORD_TOKEN=${token}$`, 'm'));
  });

  it('npm run build first drops the compiled folders, so a removed command is not loaded from dist/commands', async () => {
    // Run where it cannot touch this repository's dist/, which other test files' `npm start` uses.
    const cwd = tempDir();
    mkdirSync(join(cwd, 'dist', 'commands'), { recursive: true });
    mkdirSync(join(cwd, 'dist', 'test-build-other'));
    writeFileSync(join(cwd, 'dist', 'commands', 'removed.js'), 'export const data = {};');
    writeFileSync(join(cwd, 'dist', 'test-build-other', 'kept.js'), '');
    const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    assert.equal(typeof scripts.prebuild, 'string', 'npm run build has a prebuild step');
    const run = await runProcess('sh', ['-c', scripts.prebuild], { env: process.env, cwd });
    assert.equal(run.code, 0, run.stderr);
    assert.ok(!existsSync(join(cwd, 'dist', 'commands')), 'the old compiled commands are gone');
    assert.ok(
      existsSync(join(cwd, 'dist', 'test-build-other', 'kept.js')),
      'a test build elsewhere in dist/ stays',
    );
  });

  it('answers the eval questions exactly as tsx does', async () => {
    const questions = join(ROOT, 'test', 'eval', 'questions.own.jsonl');
    const env = (name: string) => ({
      ...process.env,
      EMBEDDING_MODEL: FIXTURE_MODEL,
      SOURCES_DIR: articleSources(),
      INDEX_DIR: join(tempDir(), `index-${name}`),
      MODEL_CACHE_DIR: join(tempDir(), 'models'),
    });
    const args = ['--questions', questions, '--json'];
    const compiled = await runProcess(process.execPath, [join(outDir, 'src', 'cli', 'eval.js'), ...args], {
      env: env('compiled'),
      timeoutMs: 120000,
    });
    const typescript = await runTypeScript(join('src', 'cli', 'eval.ts'), args, {
      env: env('tsx'),
      timeoutMs: 120000,
    });
    assert.equal(compiled.code, 0, compiled.stderr);
    assert.equal(typescript.code, 0, typescript.stderr);
    assert.ok(JSON.parse(typescript.stdout), 'the eval printed its JSON');
    assert.equal(compiled.stdout, typescript.stdout);
  });
});
