/**
 * Command-line arguments for the CLI commands, parsed by node's util.parseArgs with two rules on
 * top: a word that starts with "-" but is not shaped like a flag ("-5 degrees in Russia?") is a
 * positional, so questions may start with a minus sign; and every parse failure (unknown flag,
 * missing value, stray positional, a number that is not one) is a UserFacingError — one line,
 * exit code 1 — instead of a stack trace.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { errorMessage, UserFacingError } from '../errors.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

/** "--json", "-k", "--mode=dense": a flag. "-5 degrees", "- why?", "-": not a flag. */
const FLAG_SHAPE = /^--?[A-Za-z][\w-]*(=[\s\S]*)?$/;

/** Moves every positional behind a "--" so parseArgs never reads one as a flag. */
function separatePositionals(args: string[], options: Options): string[] {
  const flags: string[] = [];
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (!FLAG_SHAPE.test(arg)) {
      positionals.push(arg);
      continue;
    }
    flags.push(arg);
    const name = arg.replace(/^--?/, '');
    const option = arg.startsWith('--')
      ? options[name]
      : Object.values(options).find((o) => o.short === name);
    // A string option's value is the next word, even when it starts with "-" ("--k -1").
    if (option?.type === 'string' && !arg.includes('=')) {
      if (i + 1 >= args.length) throw new Error(`Option '${arg} <value>' argument missing`);
      flags.push(args[++i] as string);
    }
  }
  return [...flags, '--', ...positionals];
}

export function parseCommandArgs<T extends Options>(
  component: string,
  usage: string,
  options: T,
  {
    allowPositionals = false,
    args = process.argv.slice(2),
  }: { allowPositionals?: boolean; args?: string[] } = {},
) {
  try {
    return parseArgs({ args: separatePositionals(args, options), options, allowPositionals, strict: true });
  } catch (error) {
    // parseArgs's messages are one sentence, sometimes followed by advice about "--"; keep the first.
    const problem =
      errorMessage(error)
        .split('\n')[0]
        ?.replace(/\.\s.*$/, '') ?? 'bad arguments';
    throw new UserFacingError(`${component}.bad-argument`, problem, `usage: ${usage}`);
  }
}

/**
 * A number in [min, max] from a flag's text (a whole one with `whole`), or undefined when the
 * flag was not given. Number("abc") is NaN, which compares false with every bound: it must be
 * refused here, not passed on (`eval --k abc` once removed the result cap).
 */
export function numberOption(
  component: string,
  flag: string,
  raw: string | undefined,
  { min, max, whole = false }: { min: number; max: number; whole?: boolean },
): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw.trim());
  const valid = raw.trim() !== '' && (whole ? Number.isInteger(value) : Number.isFinite(value));
  if (!valid || value < min || value > max)
    throw new UserFacingError(
      `${component}.bad-argument`,
      `--${flag} must be a ${whole ? 'whole number' : 'number'} from ${min} to ${max} (got "${raw}")`,
    );
  return value;
}
