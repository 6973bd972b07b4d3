/**
 * The command-line conventions every command of the project shares
 * (`npm run replay`, `local`, `capacity`, `synth:hcl`, `bench`, `tf:check`,
 * `redrive:kinesis-ingest`, `addresses:record`, `check:cdktn`):
 *
 * - `--name value` (or `--name=value`) options, read by `readOptions`;
 * - `--help` / `-h` anywhere: the usage on stdout, exit status 0;
 * - a usage error (`UsageError`: unknown option, missing or bad value, unknown
 *   stack): `<command>: <one line>` and the usage on stderr, exit status 2,
 *   never a stack trace; a configuration `loadDeployment` refuses: one
 *   `configuration: ...` line per problem, exit status 2, as synth; an
 *   unexpected error: its stack, exit status 1;
 * - temporary folders made with `makeTempDir` are removed when the process
 *   exits, also on SIGINT / SIGTERM / SIGHUP when the command asked for
 *   `exitOnSignals` (a command that stops itself on signals, such as
 *   `npm run local`, leaves it off).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { ConfigurationError } from "../config";

/** A command-line mistake: printed with the usage text, exit status 2. */
export class UsageError extends Error {}

/** `--help` or `-h`. */
export const isHelp = (arg: string): boolean => arg === "--help" || arg === "-h";

/** The stack named first on the command line, one of `stacks`. */
export function stackArgument<S extends string>(arg: string | undefined, stacks: readonly S[]): S {
  if (!arg || arg.startsWith("-")) throw new UsageError(`which stack? name one of ${stacks.join(", ")}`);
  if (!(stacks as readonly string[]).includes(arg)) throw new UsageError(`unknown stack "${arg}": choose one of ${stacks.join(", ")}`);
  return arg as S;
}

/** Stack ids named on the command line, each once, in the order first named; any unknown one is a usage error. */
export function stackArguments<S extends string>(args: readonly string[], stacks: readonly S[]): S[] {
  const options = args.filter((arg) => arg.startsWith("-"));
  if (options.length > 0) throw new UsageError(`unknown option ${options[0]}`);
  const unknown = args.filter((arg) => !(stacks as readonly string[]).includes(arg));
  if (unknown.length > 0) {
    throw new UsageError(`unknown stack ${[...new Set(unknown)].map((s) => `"${s}"`).join(", ")}; the stacks are ${stacks.join(", ")}`);
  }
  return [...new Set(args)] as S[];
}

/**
 * `--name value` and `--name=value` options, in order (an option may repeat); the names in
 * `flags` take no value. With `valued`, the names that take one: any other name is an
 * unknown option (without it, the caller says which names it knows).
 */
export function readOptions(args: readonly string[]): [name: string, value: string][];
export function readOptions(args: readonly string[], flags: readonly string[], valued?: readonly string[]): [name: string, value: string | true][];
export function readOptions(args: readonly string[], flags: readonly string[] = [], valued?: readonly string[]): [name: string, value: string | true][] {
  const out: [string, string | true][] = [];
  for (let i = 0; i < args.length; i++) {
    const m = /^--([a-z][a-z0-9-]*)(?:=(.*))?$/.exec(args[i]);
    if (!m) throw new UsageError(args[i].startsWith("-") ? `unknown option ${args[i]}` : `unexpected argument "${args[i]}"`);
    if (valued && !valued.includes(m[1]) && !flags.includes(m[1])) throw new UsageError(`unknown option --${m[1]}`);
    if (flags.includes(m[1])) {
      if (m[2] !== undefined) throw new UsageError(`--${m[1]} takes no value`);
      out.push([m[1], true]);
      continue;
    }
    const value = m[2] ?? args[++i];
    if (value === undefined || (m[2] === undefined && /^--?[a-z]/.test(value))) throw new UsageError(`--${m[1]} needs a value`);
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

/** An option's http(s) URL. */
export function urlOption(name: string, value: string): string {
  try {
    const url = new URL(value);
    if (url.protocol === "http:" || url.protocol === "https:") return value;
  } catch {
    // reported below
  }
  throw new UsageError(`--${name} must be an http(s) URL, got "${value}"`);
}

export interface RunOptions {
  /**
   * On SIGINT, SIGTERM or SIGHUP: say so, remove the temporary folders (and run
   * every `atExit` task) and exit 130 / 143 / 129. Off for a command that
   * handles those signals itself. @default false
   */
  readonly exitOnSignals?: boolean;
}

/**
 * What a command reports for an error, and its exit status: a UsageError is `<name>: <one line>`
 * and the usage on stderr, 2; a bad configuration (`loadDeployment` refused it) one line per
 * problem, as synth prints them, 2; any other error its stack, 1.
 */
export function reportFailure(name: string, usage: string, err: unknown): number {
  if (err instanceof ConfigurationError) {
    // As synth reports it (config.ts, loadDeploymentOrExit): one line per problem.
    for (const problem of err.problems) process.stderr.write(`configuration: ${problem}\n`);
    return 2;
  }
  if (err instanceof UsageError) {
    process.stderr.write(`${name}: ${err.message}\n${usage}\n`);
    return 2;
  }
  process.stderr.write(`${name} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return 1;
}

/** `--help` / `-h` anywhere: the usage on stdout; true when the command should stop there (exit status 0). */
export function printedHelp(argv: readonly string[], usage: string): boolean {
  if (!argv.some(isHelp)) return false;
  process.stdout.write(`${usage}\n`);
  return true;
}

/**
 * Runs a command's `main` on the process's arguments and exits with its status:
 * 0 with the usage on `--help`/`-h`, 2 on a UsageError (one line, then the usage),
 * 1 on any other error (with its stack).
 */
export function runMain(name: string, usage: string, main: CommandMain, options: RunOptions = {}): void {
  const argv = process.argv.slice(2);
  if (printedHelp(argv, usage)) process.exit(0);
  if (options.exitOnSignals) exitOnSignals(name);
  void commandStatus({ name, usage, main }, argv).then((code) => process.exit(code));
}

export type CommandMain = (argv: readonly string[]) => Promise<number> | number;

/** A command as `runMain` runs it; exported by each script so tests can run its command line in-process. */
export interface Command {
  readonly name: string;
  readonly usage: string;
  readonly main: CommandMain;
}

/** `main(argv)`'s exit status, a failure reported as `runMain` reports it (`--help` is `printedHelp`'s, before). */
export function commandStatus(command: Command, argv: readonly string[]): Promise<number> {
  return Promise.resolve()
    .then(() => command.main(argv))
    .then(
      (code) => code,
      (err: unknown) => reportFailure(command.name, command.usage, err),
    );
}

// ---------------------------------------------------------------------------------------------
// Work undone at exit: temporary folders, child processes.

const exitTasks = new Set<() => void>();

/** Last added first: a process started in a temporary folder is stopped before the folder is removed. */
function runExitTasks(): void {
  for (const task of [...exitTasks].reverse()) {
    exitTasks.delete(task);
    try {
      task();
    } catch {
      // best effort: the process is going anyway
    }
  }
  process.off("exit", runExitTasks);
}

/**
 * Runs `task` (synchronous) when the process exits, unless the returned function
 * is called first. One `exit` listener, there only while a task is pending.
 */
export function atExit(task: () => void): () => void {
  if (exitTasks.size === 0) process.on("exit", runExitTasks);
  exitTasks.add(task);
  return () => {
    exitTasks.delete(task);
    if (exitTasks.size === 0) process.off("exit", runExitTasks);
  };
}

const tempDirs = new Map<string, () => void>();

/** A fresh folder `<tmpdir>/<prefix>XXXXXX`, removed at exit unless `removeTempDir` removed it before. */
export function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  tempDirs.set(dir, atExit(() => rmSync(dir, { recursive: true, force: true })));
  return dir;
}

/** Removes a folder (`makeTempDir`'s or not), now. */
export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.get(dir)?.();
  tempDirs.delete(dir);
}

const SIGNAL_STATUS = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
let signalsHandled = false;

/** See `RunOptions.exitOnSignals`; once per process. */
export function exitOnSignals(name: string): void {
  if (signalsHandled) return;
  signalsHandled = true;
  for (const [signal, status] of Object.entries(SIGNAL_STATUS)) {
    process.on(signal, () => {
      const folders = tempDirs.size;
      process.stderr.write(`\n${name}: ${signal}: stopped${folders > 0 ? `, ${folders} temporary folder(s) removed` : ""}\n`);
      process.exit(status);
    });
  }
}
