/**
 * The command-line conventions `npm run replay` and `npm run local` share:
 * `<stack> --name value` (or `--name=value`), a usage error printed with the
 * usage text and exit status 2, an unexpected error with its stack and 1.
 */

/** A command-line mistake: printed with the usage text, exit status 2. */
export class UsageError extends Error {}

/** The stack named first on the command line, one of `stacks`. */
export function stackArgument<S extends string>(arg: string | undefined, stacks: readonly S[]): S {
  if (!arg || arg.startsWith("-")) throw new UsageError(`which stack? name one of ${stacks.join(", ")}`);
  if (!(stacks as readonly string[]).includes(arg)) throw new UsageError(`unknown stack "${arg}": choose one of ${stacks.join(", ")}`);
  return arg as S;
}

/** `--name value` and `--name=value` options, in order (an option may repeat); the names in `flags` take no value. */
export function readOptions(args: readonly string[]): [name: string, value: string][];
export function readOptions(args: readonly string[], flags: readonly string[]): [name: string, value: string | true][];
export function readOptions(args: readonly string[], flags: readonly string[] = []): [name: string, value: string | true][] {
  const out: [string, string | true][] = [];
  for (let i = 0; i < args.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(args[i]);
    if (!m) throw new UsageError(`unexpected argument "${args[i]}"`);
    if (flags.includes(m[1]) && m[2] === undefined) {
      out.push([m[1], true]);
      continue;
    }
    const value = m[2] ?? args[++i];
    if (value === undefined) throw new UsageError(`--${m[1]} needs a value`);
    out.push([m[1], value]);
  }
  return out;
}

/** An option's number, within [min, max]. */
export function numberOption(name: string, value: string, min: number, max: number, integer = false): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new UsageError(`--${name} must be ${integer ? "a whole number" : "a number"} in [${min}, ${max}], got "${value}"`);
  }
  return n;
}

/** Runs a command's `main` on the process's arguments and exits with its status: 2 on a UsageError (with `usage`), 1 on any other error. */
export function runMain(name: string, usage: string, main: (argv: readonly string[]) => Promise<number>): void {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      if (err instanceof UsageError) {
        process.stderr.write(`${err.message}\n${usage}\n`);
        process.exit(2);
      }
      process.stderr.write(`${name} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
