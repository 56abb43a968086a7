/**
 * The one wrapper around every entry point (CLI commands, the bot, deploy): loads `.env`, applies
 * the logging settings from it, runs `main`, and decides the exit code the same way everywhere:
 * - `main` resolves a number: that code (CLI commands); nothing: 0 once the event loop is empty
 *   (the bot keeps running on its connections);
 * - a UserFacingError: its one line on stderr, exit code 1;
 * - anything else is a bug: logged with its stack, exit code 2.
 * A failure exits even when connections are still open (a bot half-started), once stderr has
 * had a moment to flush.
 */
import { loadEnvFile, loadLogConfig } from './config.ts';
import { isUserFacing } from './errors.ts';
import { configureLog, log } from './log.ts';

export const EXIT_USER_ERROR = 1;
export const EXIT_BUG = 2;

function exitWith(code: number): void {
  process.exitCode = code;
  setTimeout(() => process.exit(code), 500).unref();
}

export function runEntry(
  main: () => Promise<unknown>,
  options: { name?: string; mapError?: (error: unknown) => unknown } = {},
): void {
  const fail = (raw: unknown) => {
    const error = options.mapError ? options.mapError(raw) : raw;
    if (isUserFacing(error)) {
      process.stderr.write(`${error.message}\n`);
      exitWith(EXIT_USER_ERROR);
    } else {
      log.error(`${options.name ?? 'quarry'}: failed:`, error);
      exitWith(EXIT_BUG);
    }
  };
  try {
    loadEnvFile();
    configureLog(loadLogConfig());
  } catch (error) {
    fail(error);
    return;
  }
  main().then((code) => {
    if (typeof code === 'number') process.exitCode = code;
  }, fail);
}
