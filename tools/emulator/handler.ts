/**
 * Loads and invokes a bundled Lambda handler: the `index.js` that synth
 * packaged (a folder with archive packaging, the single entry of `code.zip`
 * with asset packaging), written to a fresh folder and `require`d there, so
 * each run gets fresh module-scope SDK clients built from the environment of
 * that run. Invocations get a Lambda-like context and are cut at the
 * function's timeout.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import type { Context } from "aws-lambda";
import { randomUUID } from "node:crypto";
import { removeTempDir } from "../cli";
import { type FunctionCode, isZip, scratchDir, unzipSingle } from "./synth";

export type Handler<E, R> = (event: E, context: Context) => Promise<R>;

/** An invocation that ran past the function's timeout (Lambda stops it and reports an error). */
export class FunctionTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`);
    this.name = "FunctionTimeoutError";
  }
}

let loaded = 0;

/**
 * The handler a bundle exports. `bundle` is `functionCode(...)` or the file
 * synth wrote: an `index.js`, or a `code.zip` (asset packaging) whose
 * `index.js` entry is loaded.
 */
export function loadHandler<E, R>(bundle: string | FunctionCode, scratch: string, name: string): Handler<E, R> {
  const source = typeof bundle === "string" ? bundle : bundle.file;
  const read = (file: string): Buffer => {
    const data = readFileSync(file);
    return isZip(data) ? unzipSingle(data, "index.js") : data;
  };
  const code = typeof bundle === "string" ? read(bundle) : bundle.code;
  const dir = path.join(scratch, `${name}-${++loaded}`);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, "index.js");
  writeFileSync(file, code);
  let mod: { handler?: unknown };
  try {
    mod = require(file) as { handler?: unknown };
  } catch (err) {
    throw new Error(`cannot load the bundle of ${name} (${source}): ${err instanceof Error ? err.message : String(err)}`);
  }
  if (typeof mod.handler !== "function") throw new Error(`${source} exports no handler function`);
  return mod.handler as Handler<E, R>;
}

export interface FunctionSettings {
  readonly functionName: string;
  /** The function's timeout, in milliseconds (already scaled). */
  readonly timeoutMs: number;
  readonly memoryMb: number;
}

function context(fn: FunctionSettings, deadline: number): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: fn.functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:local:123456789012:function:${fn.functionName}`,
    memoryLimitInMB: String(fn.memoryMb),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${fn.functionName}`,
    logStreamName: "replay",
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Invokes `handler` as Lambda would: rejects with FunctionTimeoutError at the timeout. */
export async function invoke<E, R>(handler: Handler<E, R>, fn: FunctionSettings, event: E): Promise<R> {
  const deadline = Date.now() + fn.timeoutMs;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new FunctionTimeoutError(fn.timeoutMs)), fn.timeoutMs);
  });
  try {
    return await Promise.race([handler(event, context(fn, deadline)), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * While a replay runs, the handlers' log lines (Lambda would send them to
 * CloudWatch) go to `sink` instead of the terminal. Returns the restore function.
 */
export function captureConsole(sink: (level: string, line: string) => void): () => void {
  const original = { log: console.log, info: console.info, warn: console.warn, error: console.error, debug: console.debug };
  for (const level of Object.keys(original) as (keyof typeof original)[]) {
    console[level] = (...args: unknown[]) => sink(level, args.map((a) => (typeof a === "string" ? a : String(a))).join(" "));
  }
  return () => Object.assign(console, original);
}

/**
 * Where a run's bundles load and log: the handlers' console lines go to `log`
 * (error lines counted), their copies to a fresh scratch folder. `restore`
 * receives the undo steps (console back, folder removed).
 */
export function handlerSandbox(prefix: string, log: ((level: string, line: string) => void) | undefined, restore: (() => void)[]): { scratch: string; errorLines: () => number } {
  let errorLines = 0;
  // Powertools' Logger and Metrics write through the global console (so the capture below sees them) in dev mode, metrics kept on.
  const powertools = { POWERTOOLS_DEV: process.env.POWERTOOLS_DEV, POWERTOOLS_METRICS_DISABLED: process.env.POWERTOOLS_METRICS_DISABLED };
  Object.assign(process.env, { POWERTOOLS_DEV: "true", POWERTOOLS_METRICS_DISABLED: "false" });
  restore.push(() => {
    for (const [key, value] of Object.entries(powertools)) if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  });
  restore.push(
    captureConsole((level, line) => {
      if (level === "error") errorLines++;
      log?.(level, line);
    }),
  );
  const scratch = scratchDir(prefix);
  restore.push(() => removeTempDir(scratch));
  return { scratch, errorLines: () => errorLines };
}
