/** Command-line tools use the shared entry wrapper (src/entry.ts): exit 0, 1 (fix it), 2 (a bug). */
import { runEntry } from '../entry.ts';

export function runCli(main: () => Promise<number | undefined>): void {
  runEntry(main);
}
