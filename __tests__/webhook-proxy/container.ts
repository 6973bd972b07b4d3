/**
 * One Lambda container that lives across invocations: the bundle synth
 * packages (`bundleHandler`) loaded once in a child process, then any number
 * of invocations one after another, as Lambda runs them in one warm
 * container (module-scope state such as kept secrets carries over). Each
 * invocation gets a context counting down `timeoutMs`. For single cold
 * invocations with a kill at the timeout, see `../support/lambda-process.ts`.
 */
import { spawnBundled } from "../support/lambda-process";

const RUNNER = `
const mod = require(process.argv[1]);
process.on("message", async ({ id, event, timeoutMs }) => {
  const deadline = Date.now() + timeoutMs;
  const context = {
    functionName: "container-test", functionVersion: "$LATEST", awsRequestId: "container-test-" + id, memoryLimitInMB: "128",
    invokedFunctionArn: "arn:aws:lambda:local:123456789012:function:container-test", logGroupName: "container-test", logStreamName: "container-test",
    callbackWaitsForEmptyEventLoop: true, getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  try { process.send({ id, result: await mod.handler(event, context) }); }
  catch (err) { process.send({ id, error: String((err && err.stack) || err) }); }
});
process.send({ ready: true });
`;

export interface Container<R> {
  /** One invocation; resolves with the handler's answer, rejects with its error. */
  invoke(event: unknown): Promise<R>;
  /** What the function logged so far. */
  logs(): string;
  stop(): Promise<void>;
}

interface Reply {
  readonly ready?: boolean;
  readonly id?: number;
  readonly result?: unknown;
  readonly error?: string;
}

export async function startContainer<R>(options: { entry: string; timeoutMs: number; env: Record<string, string> }): Promise<Container<R>> {
  const { child, logs } = spawnBundled(RUNNER, options);
  const pending = new Map<number, { resolve: (r: R) => void; reject: (e: Error) => void }>();
  let exited = false;
  const onExit = new Promise<void>((resolve) =>
    child.once("exit", (code, signal) => {
      exited = true;
      for (const p of pending.values()) p.reject(new Error(`the container exited (code ${String(code)}, signal ${String(signal)}):\n${logs()}`));
      pending.clear();
      resolve();
    }),
  );
  await new Promise<void>((resolve, reject) => {
    child.once("message", (m: Reply) => (m.ready ? resolve() : reject(new Error(`unexpected first message: ${JSON.stringify(m)}`))));
    child.once("exit", () => reject(new Error(`the bundle of ${options.entry} did not initialise:\n${logs()}`)));
  });
  child.on("message", (m: Reply) => {
    const p = m.id === undefined ? undefined : pending.get(m.id);
    if (!p || m.id === undefined) return;
    pending.delete(m.id);
    if (m.error !== undefined) p.reject(new Error(m.error));
    else p.resolve(m.result as R);
  });
  let next = 0;
  return {
    invoke(event: unknown): Promise<R> {
      if (exited) return Promise.reject(new Error(`the container has exited:\n${logs()}`));
      const id = ++next;
      return new Promise<R>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        child.send({ id, event, timeoutMs: options.timeoutMs });
      });
    },
    logs,
    async stop() {
      if (!exited) child.kill("SIGKILL");
      await onExit;
    },
  };
}
