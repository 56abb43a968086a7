/**
 * The compiled build (`npm run build`, what `npm start` runs) carries everything the TypeScript
 * reads at run time, so the bot members talk to answers as the evaluated code does.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { findCalibration } from '../src/search/calibration.ts';
import { ROOT, runProcess, tempDir } from './helpers.ts';

describe('the compiled build', () => {
  it('finds every model calibration tsx finds (it answered with the fallback thresholds before)', async () => {
    const outDir = tempDir();
    const build = await runProcess(
      join(ROOT, 'node_modules', '.bin', 'tsc'),
      ['-p', 'tsconfig.build.json', '--outDir', outDir],
      { env: process.env, cwd: ROOT, timeoutMs: 120000 },
    );
    assert.equal(build.code, 0, `${build.stdout}${build.stderr}`);
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
});
