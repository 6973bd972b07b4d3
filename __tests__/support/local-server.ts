/**
 * `npm run local` in a child process, for the suites that talk to it as a real client would
 * (local.test.ts, local-packaging.test.ts): started as the npm script runs it (node with tsx's
 * require hook), on a free port, ready once its start banner is out.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import * as http from "node:http";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..");
const BANNER_END = "Ctrl-C stops everything.";

export interface LocalServer {
  readonly child: ChildProcessWithoutNullStreams;
  /** Everything it printed so far (stdout and stderr). */
  readonly out: () => string;
  /** The base URL from its banner. */
  readonly url: string;
  /** The first capture group of `pattern` in its output; throws when it is not there. */
  readonly line: (pattern: RegExp) => string;
}

/** Waits for the banner of a server started some other way (e.g. through npm); rejects if it exits first. */
export async function attachLocalServer(child: ChildProcessWithoutNullStreams): Promise<LocalServer> {
  let text = "";
  const out = (): string => text;
  await new Promise<void>((resolve, reject) => {
    const exited = (code: number | null): void => reject(new Error(`local exited with ${code}:\n${text}`));
    const collect = (chunk: Buffer): void => {
      text += chunk.toString();
      if (text.includes(BANNER_END)) {
        child.off("exit", exited);
        resolve();
      }
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    child.once("exit", exited);
  });
  const line = (pattern: RegExp): string => {
    const m = pattern.exec(text);
    if (!m) throw new Error(`no ${pattern} in:\n${text}`);
    return m[1];
  };
  return { child, out, url: line(/base URL: (\S+)/), line };
}

/** `npm run local -- <args> --port 0 --synth-dir <synthDir>`, once its banner is out. */
export function startLocalServer(args: readonly string[], synthDir: string): Promise<LocalServer> {
  const child = spawn(process.execPath, ["--require", "tsx/cjs", "tools/local/index.ts", ...args, "--port", "0", "--synth-dir", synthDir], { cwd: ROOT });
  return attachLocalServer(child);
}

/** Stops the server with `signal`; resolves its exit code. */
export function stopLocalServer(server: LocalServer, signal: NodeJS.Signals = "SIGINT"): Promise<number | null> {
  return new Promise((resolve) => {
    if (server.child.exitCode !== null) return resolve(server.child.exitCode);
    server.child.once("exit", (code) => resolve(code));
    server.child.kill(signal);
  });
}

/** Whether a connection to `url` is refused (nothing listens there any more). */
export const refused = (url: string): Promise<boolean> =>
  new Promise((resolve) => {
    const req = http.get(url, (res) => {
      res.resume();
      resolve(false);
    });
    req.on("error", () => resolve(true));
    req.setTimeout(2000, () => {
      req.destroy();
      resolve(false);
    });
  });

/** Polls `probe` every 200 ms until it gives a value; fails naming `what` after `timeoutMs`. */
export async function until<T>(probe: () => Promise<T | undefined> | T | undefined, what = "the condition", timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`${what}: not reached in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
