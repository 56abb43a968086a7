/**
 * Runs a registry client (mvn, pip) as a child process. Its output is handed to `onOutput` as it
 * comes (mvn prints download progress there) and the last lines are kept for the error message.
 */
import { spawn } from 'node:child_process';

export class ToolMissing extends Error {
  constructor(readonly command: string) {
    super(`${command} is not installed`);
  }
}

export class ToolFailed extends Error {
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly tail: string,
  ) {
    super(`${command} failed (exit ${exitCode ?? 'by signal'}): ${tail}`);
  }
}

export interface ToolCall {
  command: string;
  args: string[];
  onOutput?: (text: string) => void;
  env?: NodeJS.ProcessEnv;
}

/** Keeps the lines that explain a failure, not the thousand progress lines before them. */
function lastLines(text: string, count: number): string {
  const lines = text
    .split(/[\r\n]+/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('Progress ('));
  const errors = lines.filter((line) => /^(\[ERROR\]|ERROR:)/.test(line));
  return (errors.length ? errors : lines).slice(-count).join(' | ');
}

export function runTool(call: ToolCall): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(call.command, call.args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: call.env ?? process.env,
    });
    let stdout = '';
    let output = '';
    const take = (chunk: Buffer, isStdout: boolean) => {
      const text = chunk.toString('utf8');
      if (isStdout) stdout += text;
      // Enough to explain a failure; mvn's progress alone can run to megabytes.
      output = (output + text).slice(-20_000);
      call.onOutput?.(text);
    };
    child.stdout.on('data', (chunk: Buffer) => take(chunk, true));
    child.stderr.on('data', (chunk: Buffer) => take(chunk, false));
    child.on('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'ENOENT' ? new ToolMissing(call.command) : error);
    });
    child.on('close', (code) => {
      if (code === 0) resolvePromise(stdout);
      else reject(new ToolFailed(call.command, code, lastLines(output, 2)));
    });
  });
}
