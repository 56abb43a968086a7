/**
 * The Hugging Face hub route: the model's files straight from `<host><hub id>/resolve/main/`,
 * into the staging folder. A hub that does not answer within HUB_CONNECT_TIMEOUT_MS counts as
 * unreachable (firewalls often drop instead of refusing), so the registry routes get their turn.
 */
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { ProgressListener } from '../progress.ts';
import type { CatalogModel, FetchDtype } from './catalog.ts';
import { onnxFileFor } from './layout.ts';

const HUB_CONNECT_TIMEOUT_MS = 15_000;
/** A download that stalls this long is given up; slow but moving downloads are fine. */
const HUB_STALL_TIMEOUT_MS = 60_000;

export function hubUrl(remoteHost: string, hubId: string, file: string): string {
  const host = remoteHost.endsWith('/') ? remoteHost : `${remoteHost}/`;
  return `${host}${hubId}/resolve/main/${file}`;
}

class Watchdog {
  readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  arm(ms: number, why: string): void {
    this.disarm();
    this.timer = setTimeout(() => this.controller.abort(new Error(why)), ms);
  }
  disarm(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}

async function download(
  url: string,
  destination: string,
  optional: boolean,
  onBytes: (delta: number, total: number) => void,
): Promise<boolean> {
  const watchdog = new Watchdog();
  watchdog.arm(HUB_CONNECT_TIMEOUT_MS, `no answer in ${HUB_CONNECT_TIMEOUT_MS / 1000} s`);
  try {
    const response = await fetch(url, { signal: watchdog.controller.signal });
    if (response.status === 404 && optional) return false;
    if (!response.ok || !response.body) throw new Error(`HTTP ${response.status} for ${url}`);
    const total = Number(response.headers.get('content-length')) || 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        watchdog.arm(HUB_STALL_TIMEOUT_MS, `download stalled for ${HUB_STALL_TIMEOUT_MS / 1000} s`);
        onBytes(chunk.length, total);
        callback(null, chunk);
      },
    });
    await mkdir(dirname(destination), { recursive: true });
    watchdog.arm(HUB_STALL_TIMEOUT_MS, `download stalled for ${HUB_STALL_TIMEOUT_MS / 1000} s`);
    await pipeline(
      Readable.fromWeb(response.body as WebReadableStream<Uint8Array>),
      counter,
      createWriteStream(destination),
      { signal: watchdog.controller.signal },
    );
    return true;
  } catch (error) {
    const reason = watchdog.controller.signal.reason;
    throw reason instanceof Error ? reason : error;
  } finally {
    watchdog.disarm();
  }
}

/** `fetch failed` hides the reason in `cause` (ENOTFOUND, ECONNREFUSED …): surface it. */
export function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; hostname?: string; message?: string } }).cause;
  const message = error instanceof Error ? error.message : String(error);
  if (cause?.code) return `cannot be reached: ${cause.code}${cause.hostname ? ` ${cause.hostname}` : ''}`;
  return cause?.message ?? message;
}

export async function fetchFromHub(
  model: CatalogModel,
  dtypes: FetchDtype[],
  staging: string,
  options: { remoteHost: string; onProgress?: ProgressListener },
): Promise<string> {
  const files: { file: string; optional: boolean }[] = [
    { file: 'config.json', optional: false },
    { file: 'tokenizer.json', optional: false },
    { file: 'tokenizer_config.json', optional: true },
    ...dtypes.map((dtype) => ({ file: onnxFileFor(dtype).split('\\').join('/'), optional: false })),
  ];
  const totals = new Map<string, number>();
  let done = 0;
  for (const { file, optional } of files) {
    await download(
      hubUrl(options.remoteHost, model.hubId, file),
      join(staging, file),
      optional,
      (delta, total) => {
        totals.set(file, total);
        done += delta;
        if (!file.endsWith('.onnx')) return;
        const all = [...totals.values()].reduce((a, b) => a + b, 0);
        options.onProgress?.({
          stage: 'downloading',
          done: Math.round(done / 1048576),
          total: Math.max(1, Math.round(all / 1048576)),
          detail: `MB of ${model.hubId}`,
        });
      },
    );
  }
  return `the hub (${options.remoteHost})`;
}
