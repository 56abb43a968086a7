/**
 * Per-server knowledge bases: memory with 1,000 small servers loaded (and with the default
 * MAX_LOADED_SERVERS cap), and the time from `/sources add` of a 50-page PDF to the first answer
 * quoting it. Each server count runs in a fresh compiled child process so RSS is only that work;
 * the PDF is added in the first of them after its figures are taken (a process start and a model
 * load fewer; the add is timed inside the child, its RSS is not reported).
 */

import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import type { CoreConfig } from '../src/config.ts';
import { prepareSource } from '../src/servers/intake.ts';
import { KnowledgeBases } from '../src/servers/knowledge-bases.ts';
import { childEnv } from './child-env.ts';

const TEMPLATE_GUILD = '100000000000000000';
/** MAX_LOADED_SERVERS of the capped run: the default. */
const CAP = 200;
const SMALL_SOURCE =
  'Harbour Notes\n\nThe lighthouse keeper feeds seventeen puffins every morning before the ferry leaves.\n\n' +
  'The keeper paints the lamp room blue each spring, and the harbour master checks the work.\n\n' +
  'Visitors may climb the tower on Sundays between ten and four, weather permitting.\n';

/** Each JSON line the child printed, in order. */
function runChild(args: string[], env: NodeJS.ProcessEnv): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--expose-gc', join('dist', 'bench', 'servers-child.js'), ...args],
      {
        env,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`bench: servers child exited ${code}`));
      else
        resolve(
          output
            .split('\n')
            .filter((line) => line.startsWith('{'))
            .map((line) => JSON.parse(line) as Record<string, unknown>),
        );
    });
  });
}

/** Latin-1 only (the standard PDF fonts), wrapped to the page width. */
function wrap(text: string, width = 95): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text
    .replace(/[‘’]/g, "'")
    .replace(/[“”]/g, '"')
    .replace(/[^\x20-\xff]/g, ' ')
    .split(/\s+/)) {
    if (line && line.length + word.length + 1 > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

/** 50 pages of the article's sentences, three paragraphs a page; page 40 holds the bell fact. */
export async function makeBenchPdf(articlePath: string, pages = 50): Promise<Buffer> {
  const sentences = readFileSync(articlePath, 'utf8')
    .split(/(?<=[.!?])\s+/)
    .filter((s) => s.length > 30);
  const document = await PDFDocument.create();
  const font = await document.embedFont(StandardFonts.Helvetica);
  let next = 0;
  for (let p = 1; p <= pages; p++) {
    const page = document.addPage([595, 842]);
    let y = 800;
    for (let paragraph = 0; paragraph < 3; paragraph++) {
      const text =
        p === 40 && paragraph === 1
          ? 'On page forty the harbour bell rings nine times when the spring tide turns at dusk.'
          : Array.from({ length: 4 }, () => sentences[next++ % sentences.length]).join(' ');
      for (const line of wrap(text)) {
        page.drawText(line, { x: 40, y, size: 9, font });
        y -= 12;
      }
      y -= 14;
    }
  }
  return Buffer.from(await document.save());
}

export async function benchServers(config: CoreConfig, workDir: string, count: number) {
  const serversDir = join(workDir, 'servers');
  const env = childEnv(config, { SERVERS_DIR: serversDir });
  // One small server, built once with the real model, is the template every server copies.
  const bases = new KnowledgeBases({ ...config, serversDir });
  // The shared index is built here, so the children only load it (no build garbage in their RSS).
  await bases.shared.quarry.open();
  const prepared = await prepareSource({
    name: 'harbour-notes.txt',
    bytes: Buffer.from(SMALL_SOURCE),
    kind: 'text',
    maxBytes: config.maxSourceBytes,
  });
  const template = await bases.forServer(TEMPLATE_GUILD).add(prepared, { addedBy: 'bench' });
  const templateDir = join(serversDir, TEMPLATE_GUILD);
  mkdirSync(join(workDir, 'pdf'), { recursive: true });
  const pdfPath = join(workDir, 'pdf', 'bench.pdf');
  writeFileSync(pdfPath, await makeBenchPdf(join(config.sourcesDir, '000_80816b0a4ae9937f.txt')));
  // The PDF is added in the first child once its servers' figures are taken (see servers-child.ts).
  const [allLoaded, pdf] = await runChild(['servers', String(count), templateDir, pdfPath], {
    ...env,
    MAX_LOADED_SERVERS: String(count),
  });
  if (!allLoaded || !pdf) throw new Error('bench: a servers child printed no figures');
  // With no more servers than the cap (a quick run's 100), no index is ever dropped: a capped
  // child would run exactly what the first one ran, so its figures are reused, marked as such.
  const capped =
    count > CAP
      ? (
          await runChild(['servers', String(count), templateDir], {
            ...env,
            SERVERS_DIR: join(workDir, 'servers-capped'),
            MAX_LOADED_SERVERS: String(CAP),
          })
        )[0]
      : { ...allLoaded, maxLoadedServers: CAP, sameRunAs: 'allLoaded' };
  if (!capped) throw new Error('bench: the capped servers child printed no figures');
  return { passagesPerServer: template.passages, allLoaded, capped, pdf };
}
