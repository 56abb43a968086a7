/**
 * Progress for long work (model downloads, embedding thousands of passages) on stderr.
 * On a terminal one line is redrawn; in logs and CI a line is printed at most every 10%.
 */
export type ProgressListener = (event: ProgressEvent) => void;

export interface ProgressEvent {
  stage: 'loading' | 'splitting' | 'embedding' | 'saving' | 'swapping' | 'downloading';
  done?: number;
  total?: number;
  detail?: string;
}

export function describeProgress(event: ProgressEvent): string {
  const count = event.total ? ` ${event.done ?? 0}/${event.total}` : '';
  return `${event.stage}${count}${event.detail ? ` ${event.detail}` : ''}`;
}

export function terminalProgress(
  stream: NodeJS.WriteStream = process.stderr,
): ProgressListener & { end(): void } {
  let lastStage = '';
  let lastDecile = -1;
  let drawn = false;
  const listener = (event: ProgressEvent) => {
    const line = describeProgress(event);
    if (stream.isTTY) {
      stream.write(`\r\x1b[2K${line}`);
      drawn = true;
      return;
    }
    const decile = event.total ? Math.floor(((event.done ?? 0) / event.total) * 10) : -1;
    if (event.stage !== lastStage || decile !== lastDecile) stream.write(`${line}\n`);
    lastStage = event.stage;
    lastDecile = decile;
  };
  return Object.assign(listener, {
    end() {
      if (drawn) stream.write('\r\x1b[2K');
      drawn = false;
    },
  });
}
