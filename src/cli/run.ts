/**
 * Entry-point wrapper for command-line tools: loads .env, runs `main`, and turns failures into
 * exit codes. A UserFacingError is one line on stderr and exit code 1; anything else is a bug,
 * logged with its stack, exit code 2.
 */
import { loadEnvFile } from '../config.ts';
import { isUserFacing } from '../errors.ts';
import { log, setLogLevel } from '../log.ts';

export function runCli(main: () => Promise<number | undefined>): void {
  loadEnvFile();
  setLogLevel(process.env.LOG_LEVEL);
  main().then(
    (code) => {
      process.exitCode = code ?? 0;
    },
    (error: unknown) => {
      if (isUserFacing(error)) {
        process.stderr.write(`${error.message}\n`);
        process.exitCode = 1;
      } else {
        log.error(error);
        process.exitCode = 2;
      }
    },
  );
}
