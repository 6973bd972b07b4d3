/**
 * Runs a bundled handler as Lambda does: the `index.js` synth packages
 * (`bundleHandler`, the same esbuild output NodejsFunction zips), loaded in a
 * child process of its own (the init, module-scope SDK clients included, is not
 * timed, as Lambda's init phase is not), then one invocation with a context
 * whose `getRemainingTimeInMillis()` counts down the configured timeout; the
 * process is killed (SIGKILL) when the timeout passes, as Lambda stops a
 * function that runs past it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { bundleHandler } from "../../blocks/lambda/bundle";

export interface Invocation<R> {
  /** The handler's return value; absent when it threw or was killed. */
  readonly result?: R;
  /** The handler's error, as text, when it threw. */
  readonly error?: string;
  /** True when the process was still running at the timeout and was killed. */
  readonly killed: boolean;
  /** From handing over the event to the answer (or the kill). */
  readonly elapsedMs: number;
  /** What the function logged (stdout and stderr). */
  readonly logs: string;
}

export interface InvokeOptions {
  /** Project-relative TypeScript entry, e.g. `handlers/event-log-api/index.ts`. */
  readonly entry: string;
  /** The function's timeout (also given to the handler as `FUNCTION_TIMEOUT_MS`). */
  readonly timeoutMs: number;
  /** The function's environment besides `FUNCTION_TIMEOUT_MS` (no variable of the test process leaks in but PATH). */
  readonly env: Record<string, string>;
}

/** The child: load the bundle, say ready, run one event with a Lambda-like context, send the answer. */
const RUNNER = `
const mod = require(process.argv[1]);
process.send({ type: "ready" });
process.once("message", async ({ event, deadline }) => {
  const context = {
    functionName: "fault-test", functionVersion: "$LATEST", awsRequestId: "fault-test", memoryLimitInMB: "128",
    invokedFunctionArn: "arn:aws:lambda:local:123456789012:function:fault-test", logGroupName: "fault-test", logStreamName: "fault-test",
    callbackWaitsForEmptyEventLoop: true, getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  let message;
  try { message = { type: "result", result: await mod.handler(event, context) }; }
  catch (err) { message = { type: "error", error: String((err && err.stack) || err) }; }
  process.send(message, () => process.exit(0));
});
`;

interface RunnerMessage {
  readonly type: "ready" | "result" | "error";
  readonly result?: unknown;
  readonly error?: string;
}

/**
 * The bundle synth packages for `options.entry`, loaded by `runner` (a script over IPC) in a child
 * process with only the function's environment; what it writes to stdout and stderr is kept.
 */
export function spawnBundled(runner: string, options: InvokeOptions): { readonly child: ChildProcess; readonly logs: () => string } {
  const bundle = bundleHandler(options.entry);
  const child: ChildProcess = spawn(process.execPath, ["-e", runner, `${bundle.dir}/index.js`], {
    stdio: ["ignore", "pipe", "pipe", "ipc"],
    env: {
      PATH: process.env.PATH ?? "",
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      ...options.env,
      FUNCTION_TIMEOUT_MS: String(options.timeoutMs),
    },
  });
  let logs = "";
  child.stdout?.on("data", (c: Buffer) => (logs += c.toString("utf8")));
  child.stderr?.on("data", (c: Buffer) => (logs += c.toString("utf8")));
  return { child, logs: () => logs };
}

/** Invokes the bundled handler of `options.entry` once with `event`. */
export async function invokeBundled<R>(options: InvokeOptions, event: unknown): Promise<Invocation<R>> {
  const { child, logs: output } = spawnBundled(RUNNER, options);
  let exitNote = "";
  const logs = (): string => output() + exitNote;

  // A process that ends without an answer says how it ended (exit code or signal) in its logs.
  const exited = new Promise<void>((resolve) =>
    child.once("exit", (code, signal) => {
      exitNote = `\n[process exited: code=${String(code)} signal=${String(signal)}]`;
      resolve();
    }),
  );
  const message = (): Promise<RunnerMessage | undefined> =>
    new Promise((resolve) => {
      const onMessage = (m: RunnerMessage): void => {
        child.off("exit", onExit);
        resolve(m);
      };
      const onExit = (): void => {
        child.off("message", onMessage);
        resolve(undefined);
      };
      child.once("message", onMessage);
      child.once("exit", onExit);
    });

  const ready = await message();
  if (ready?.type !== "ready") throw new Error(`the bundle of ${options.entry} did not initialise:\n${logs()}`);
  const start = Date.now();
  // One clock for both sides: the child's remaining time ends when this process kills it.
  child.send({ event, deadline: start + options.timeoutMs });
  let timer: NodeJS.Timeout | undefined;
  const killedAtTimeout = new Promise<"killed">((resolve) => {
    timer = setTimeout(() => {
      child.kill("SIGKILL");
      resolve("killed");
    }, options.timeoutMs);
  });
  const outcome = await Promise.race([message(), killedAtTimeout]);
  const elapsedMs = Date.now() - start;
  clearTimeout(timer);
  if (outcome !== "killed" && outcome !== undefined) await exited;
  else child.kill("SIGKILL");
  if (outcome === "killed" || outcome === undefined) return { killed: outcome === "killed", elapsedMs, logs: logs() };
  return outcome.type === "result"
    ? { result: outcome.result as R, killed: false, elapsedMs, logs: logs() }
    : { error: outcome.error, killed: false, elapsedMs, logs: logs() };
}
