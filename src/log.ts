/**
 * Logging to stderr (stdout belongs to command output such as `ask --json`).
 * Every line passes through redact(): secrets must never reach a log, and discord.js errors
 * carry interaction tokens inside webhook URLs.
 */
import { appendFileSync } from 'node:fs';

type Level = 'debug' | 'info' | 'warn' | 'error';
const LEVEL_ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export const LOG_LEVELS = Object.keys(LEVEL_ORDER) as Level[];
export type LogLevel = Level;

const secrets = new Set<string>();
// LOG_FILE: every line, already redacted, is also appended here (operators keep a log; CI scans
// the whole test run's logs for leaked tokens). Set by configureLog once .env is loaded.
let logFile: string | null = null;
let threshold: number = LEVEL_ORDER.info;
let sink: (line: string) => void = (line) => process.stderr.write(`${line}\n`);

/** Registers a value (e.g. the bot token) that must be masked wherever it appears. */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 8) secrets.add(value);
}

const DISCORD_TOKEN_PATTERN = /[\w-]{23,28}\.[\w-]{6,7}\.[\w-]{27,40}/g;
// Interaction and webhook tokens travel in URL paths: /webhooks/<id>/<token>, /interactions/<id>/<token>.
const URL_TOKEN_PATTERN = /\/(webhooks|interactions)\/(\d+)\/([\w.-]{20,})/g;
const AUTH_HEADER_PATTERN = /\b(Bot|Bearer)\s+[\w.-]{20,}/g;

export function redact(text: string): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join('[redacted]');
  return out
    .replace(URL_TOKEN_PATTERN, '/$1/$2/[redacted]')
    .replace(DISCORD_TOKEN_PATTERN, '[redacted]')
    .replace(AUTH_HEADER_PATTERN, '$1 [redacted]');
}

/** Applies LOG_LEVEL and LOG_FILE as validated by config.ts (this module reads no environment). */
export function configureLog(settings: { level: Level; file: string | null }): void {
  threshold = LEVEL_ORDER[settings.level];
  logFile = settings.file;
}

/** Redirects log lines (tests capture them to prove no token leaks). Returns the previous sink. */
export function setLogSink(next: (line: string) => void): (line: string) => void {
  const previous = sink;
  sink = next;
  return previous;
}

function format(value: unknown): string {
  if (value instanceof Error) return value.stack ?? `${value.name}: ${value.message}`;
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

function write(level: Level, parts: unknown[]): void {
  if (LEVEL_ORDER[level] < threshold) return;
  const prefix = level === 'info' ? '' : `${level}: `;
  const line = redact(prefix + parts.map(format).join(' '));
  sink(line);
  if (logFile) {
    try {
      appendFileSync(logFile, `${line}\n`);
    } catch {
      // A log file that cannot be written must not take the bot down; stderr still has the line.
    }
  }
}

export const log = {
  debug: (...parts: unknown[]) => write('debug', parts),
  info: (...parts: unknown[]) => write('info', parts),
  warn: (...parts: unknown[]) => write('warn', parts),
  error: (...parts: unknown[]) => write('error', parts),
};
