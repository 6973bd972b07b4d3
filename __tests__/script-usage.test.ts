/**
 * The scripts' command lines (tools/cli.ts, shared by all of them): `--help` prints the
 * usage and exits 0, a usage error is one line and the usage with exit status 2 (never a
 * stack trace, never work done or files written), and temporary folders are gone
 * afterwards, also when a synth throws and on SIGINT / SIGTERM. (What the replays report:
 * replay-reporting.test.ts.)
 *
 * The scripts run as `npm run` runs them, minus npm: `node --require tsx/cjs scripts/...`,
 * each with its own TMPDIR so that what it leaves behind can be listed. One spawned run per
 * script proves the wiring (runMain); its other argument cases run its exported `command`
 * in-process, through the same `printedHelp` / `commandStatus` runMain calls (a spawn costs
 * ~0.5 s of CPU, issue 30).
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { STACK_IDS } from "../main";
import { type Command, commandStatus, numberOption, printedHelp, readOptions, stackArguments, UsageError } from "../tools/cli";
import { command as addressesCommand } from "../scripts/addresses";
import { command as benchCommand } from "../scripts/bench";
import { command as checkCommand, parseArgs as parseCheckArgs } from "../scripts/check-cdktn";
import { command as redriveCommand, parseArgs as parseRedriveArgs } from "../tools/redrive";
import { command as replayCommand, parseArgs as parseReplayArgs } from "../tools/replay";
import { command as tfCheckCommand } from "../scripts/terraform-check";
import { compareSynthDirs, formatComparison } from "../scripts/synth-diff";
import { synthInto, synthOptionsOn, terraformAvailable } from "../scripts/terraform-check";
import { sharedSynthDir } from "./support/synth";
import { skipLoudly } from "./support/skips";

const ROOT = path.resolve(__dirname, "..");
/** Folders the scripts make in TMPDIR (tsx's own cache, `tsx-*`, is not theirs). */
const OURS = /^(replay-|tf-check-|terraform-proof-|addresses-|check-cdktn-|bench-)/;

interface Ran {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a script; `whenReady(tmp)` may return a signal to send once it returns one (polled every 100 ms). */
function runScript(
  script: string,
  args: readonly string[],
  tmp: string,
  interrupt?: { when: (tmp: string) => boolean; signal: NodeJS.Signals },
  env: NodeJS.ProcessEnv = {},
): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--require", "tsx/cjs", script, ...args], {
      cwd: ROOT,
      env: { ...process.env, TMPDIR: tmp, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const poll = interrupt
      ? setInterval(() => {
          if (interrupt.when(tmp)) {
            clearInterval(poll);
            child.kill(interrupt.signal);
          }
        }, 100)
      : undefined;
    child.on("error", reject);
    child.on("close", (code, signal) => {
      if (poll) clearInterval(poll);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/**
 * A script's command line in-process, as runMain runs it after the process starts (`--help`
 * first, then main with failures reported), TMPDIR set to `tmp`, everything written captured.
 * Not concurrent: run these one after another.
 */
async function runInProcess(command: Command, args: readonly string[], tmp: string): Promise<Ran> {
  let stdout = "";
  let stderr = "";
  const capture = (append: (text: string) => void) => ((chunk: string | Uint8Array) => (append(String(chunk)), true)) as typeof process.stdout.write;
  const spies = [
    jest.spyOn(process.stdout, "write").mockImplementation(capture((t) => (stdout += t))),
    jest.spyOn(process.stderr, "write").mockImplementation(capture((t) => (stderr += t))),
    jest.spyOn(console, "log").mockImplementation((...a: unknown[]) => void (stdout += `${a.join(" ")}\n`)),
    jest.spyOn(console, "error").mockImplementation((...a: unknown[]) => void (stderr += `${a.join(" ")}\n`)),
  ];
  const before = process.env.TMPDIR;
  process.env.TMPDIR = tmp;
  try {
    const code = printedHelp(args, command.usage) ? 0 : await commandStatus(command, args);
    return { code, signal: null, stdout, stderr };
  } finally {
    process.env.TMPDIR = before;
    for (const spy of spies) spy.mockRestore();
  }
}

/** `runInProcess` of each argument list, one after another. */
async function inProcessEach(command: Command, argLists: readonly (readonly string[])[], tmp: string): Promise<Ran[]> {
  const ran: Ran[] = [];
  for (const args of argLists) ran.push(await runInProcess(command, args, tmp));
  return ran;
}

const ours = (tmp: string): string[] => readdirSync(tmp).filter((name) => OURS.test(name));

const PROC = existsSync("/proc/self/cwd");

/** Terraform processes working in `dir` now (Linux: /proc; elsewhere 0). */
function terraformsIn(dir: string): number {
  if (!PROC) return 0;
  return readdirSync("/proc").filter((pid) => {
    try {
      return /^\d+$/.test(pid) && readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "terraform" && readlinkSync(`/proc/${pid}/cwd`).startsWith(dir);
    } catch {
      return false; // gone meanwhile, or not ours to read
    }
  }).length;
}

/** `terraformsIn(dir)` once it is 0, or after `waitMs`. */
async function terraformsLeftIn(dir: string, waitMs = 5000): Promise<number> {
  for (const end = Date.now() + waitMs; terraformsIn(dir) > 0 && Date.now() < end; ) await new Promise((resolve) => setTimeout(resolve, 100));
  return terraformsIn(dir);
}

let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(path.join(tmpdir(), "script-usage-"));
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

/** A usage error: exit 2, `<command>: <one line>` then the usage, no stack trace, nothing on stdout. */
function expectUsageError(ran: Ran, command: string, message: RegExp): void {
  expect(ran.code).toBe(2);
  expect(ran.stdout).toBe("");
  const [first, second] = ran.stderr.split("\n");
  expect(first).toMatch(new RegExp(`^${command}: `));
  expect(first).toMatch(message);
  expect(second).toMatch(/^usage: /);
  expect(ran.stderr).not.toMatch(/\n\s+at /);
}

function expectHelp(ran: Ran): void {
  expect(ran.code).toBe(0);
  expect(ran.stdout).toMatch(/^usage: /);
  expect(ran.stderr).toBe("");
}

describe("the shared command line (tools/cli.ts)", () => {
  test("options: values, flags, a missing value, an option where a value belongs, unknown names", () => {
    expect(readOptions(["--a", "1", "--b=2", "--c"], ["c"])).toEqual([["a", "1"], ["b", "2"], ["c", true]]);
    expect(() => readOptions(["--json"])).toThrow(new UsageError("--json needs a value"));
    // `--json --no-progress` would have written a file named "--no-progress" into the project.
    expect(() => readOptions(["--json", "--no-progress"], ["no-progress"])).toThrow(new UsageError("--json needs a value"));
    expect(() => readOptions(["--c=1"], ["c"])).toThrow(new UsageError("--c takes no value"));
    expect(() => readOptions(["--x", "1"], [], ["a"])).toThrow(new UsageError("unknown option --x"));
    expect(() => readOptions(["-x"])).toThrow(new UsageError("unknown option -x"));
    expect(() => readOptions(["stray"])).toThrow(new UsageError('unexpected argument "stray"'));
    expect(numberOption("n", "-1", -5, 5, true)).toBe(-1);
  });

  test("stack ids: each once, in order; unknown ones and options refused", () => {
    expect(stackArguments(["media-alb", "kinesis-ingest", "media-alb"], STACK_IDS)).toEqual(["media-alb", "kinesis-ingest"]);
    expect(() => stackArguments(["nope", "nope"], STACK_IDS)).toThrow(`unknown stack "nope"; the stacks are ${STACK_IDS.join(", ")}`);
    expect(() => stackArguments(["--all"], STACK_IDS)).toThrow("unknown option --all");
  });
});

describe("npm run replay", () => {
  test("--help (after a stack or alone) prints the usage, every option in it", async () => {
    const alone = await runScript("tools/replay/index.ts", ["-h"], tmp);
    const afterStack = await runInProcess(replayCommand, ["kinesis-ingest", "--help"], tmp);
    expect(afterStack.stdout).toBe(alone.stdout);
    for (const ran of [afterStack, alone]) expectHelp(ran);
    const usage = alone.stdout;
    const doc = readFileSync(path.join(ROOT, "docs", "replay-and-bench.md"), "utf8");
    // Every option of the usage is in docs/replay-and-bench.md's options table.
    for (const option of usage.match(/^ {2}--[a-z-]+/gm) ?? []) expect(doc).toContain(`| \`${option.trim()}`);
  }, 60_000);

  test("usage errors: a missing synth output, another stack's option, an unknown option", async () => {
    const [missing, foreign] = await inProcessEach(replayCommand, [
      ["kinesis-ingest", "--synth-dir", "/nonexistent"],
      ["kinesis-ingest", "--fail-rate", "0.5"],
    ], tmp);
    expectUsageError(missing, "replay", /--synth-dir \/nonexistent does not exist/);
    expectUsageError(foreign, "replay", /--fail-rate is a webhook-proxy option/);
    expect(ours(tmp)).toEqual([]);
  }, 60_000);

  test("each stack's options are refused for the other stack, and say whose they are", () => {
    for (const option of ["--fail-rate", "--hang-rate", "--reserved", "--time-scale", "--visibility-scale", "--upstream-delay-ms"]) {
      expect(() => parseReplayArgs(["kinesis-ingest", option, "1"])).toThrow(new UsageError(`${option} is a webhook-proxy option: kinesis-ingest does not read it`));
    }
    for (const option of ["--poison-rate", "--throttle-rate", "--ddb-throttle-rate", "--ddb-silence-ms", "--ddb-silence-at"]) {
      expect(() => parseReplayArgs(["webhook-proxy", option, "1"])).toThrow(new UsageError(`${option} is a kinesis-ingest option: webhook-proxy does not read it`));
    }
    expect(() => parseReplayArgs(["webhook-proxy", "--bogus", "1"])).toThrow(new UsageError("unknown option --bogus"));
    expect(() => parseReplayArgs(["webhook-proxy", "--synth-dir", ROOT])).toThrow(/has no stacks\/webhook-proxy\/cdk.tf.json/);
    expect(parseReplayArgs(["webhook-proxy", "--upstream-delay-ms", "800", "--no-progress"]).options).toMatchObject({ upstreamDelayMs: 800, progress: false });
  });

  test("Ctrl-C during a replay: its synth and handler folders are removed, exit status 130; --log made its folder", async () => {
    const seen = new Set<string>();
    const log = path.join(tmp, "out", "nodir", "replay.log");
    const ran = await runScript("tools/replay/index.ts", ["kinesis-ingest", "--requests", "100000", "--no-progress", "--log", log], tmp, {
      signal: "SIGINT",
      when: (dir) => {
        for (const name of ours(dir)) seen.add(name.replace(/-[^-]+$/, "-*"));
        return seen.has("replay-kinesis-*");
      },
    });
    expect(existsSync(log)).toBe(true); // --log into a folder that did not exist: made, no ENOENT
    expect(ran.stderr).not.toMatch(/ENOENT/);
    expect([...seen].sort()).toEqual(["replay-kinesis-*", "replay-synth-*"]);
    expect(ran.code).toBe(130);
    expect(ran.stderr).toMatch(/replay: SIGINT: stopped, 2 temporary folder\(s\) removed/);
    expect(ours(tmp)).toEqual([]);
  }, 120_000);
});

describe("npm run tf:check", () => {
  test("--help, and an option it does not have", async () => {
    expectHelp(await runScript("scripts/terraform-check.ts", ["--help"], tmp));
    expectUsageError(await runInProcess(tfCheckCommand, ["kinesis-ingest", "--all"], tmp), "tf:check", /unknown option --all/);
  }, 60_000);

  test("a stack named twice is synthesized once (no 'There is already a Construct')", () => {
    const outdir = synthOptionsOn(["kinesis-ingest", "kinesis-ingest"]);
    try {
      expect(readdirSync(path.join(outdir, "stacks"))).toEqual(["kinesis-ingest"]);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  }, 60_000);

  test("a synth that throws leaves no temporary folder", () => {
    const before = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    try {
      expect(() =>
        synthInto("tf-check-options-", (outdir) => {
          writeFileSync(path.join(outdir, "half"), "");
          throw new Error("There is already a Construct with name 'kinesis-ingest'");
        }),
      ).toThrow("already a Construct");
    } finally {
      process.env.TMPDIR = before;
    }
    expect(ours(tmp)).toEqual([]);
  });

  if (!terraformAvailable()) skipLoudly("tf:check's SIGTERM cleanup while planning (script-usage.test.ts): terraform CLI not found");
  (terraformAvailable() ? test : test.skip)(
    "SIGTERM while planning: tf-check-*, tf-check-options-* and terraform-proof-* removed, terraform stopped, exit status 143",
    async () => {
      const seen = new Set<string>();
      const ran = await runScript("scripts/terraform-check.ts", ["kinesis-ingest", "kinesis-ingest", "webhook-proxy"], tmp, {
        signal: "SIGTERM",
        when: (dir) => {
          for (const name of ours(dir)) seen.add(name.replace(/-[^-]+$/, "-*"));
          // Once Terraform itself runs there (where /proc tells), so that stopping it is part of the proof.
          return seen.has("terraform-proof-*") && (!PROC || terraformsIn(dir) > 0);
        },
      });
      expect([...seen].sort()).toEqual(["terraform-proof-*", "tf-check-*", "tf-check-options-*"]);
      expect(ran.code).toBe(143);
      expect(ran.stderr).toMatch(/tf:check: SIGTERM: stopped, 3 temporary folder\(s\) removed/);
      expect(ran.stderr).not.toMatch(/already a Construct/);
      expect(ours(tmp)).toEqual([]);
      expect(await terraformsLeftIn(tmp)).toBe(0);
    },
    120_000,
  );
});

describe("npm run redrive:kinesis-ingest", () => {
  test("--help and -h print the usage", async () => {
    const help = await runScript("tools/redrive/index.ts", ["--help"], tmp);
    const short = await runInProcess(redriveCommand, ["-h"], tmp);
    for (const ran of [help, short]) expectHelp(ran);
    expect(short.stdout).toBe(help.stdout);
  }, 60_000);

  test("a queue URL that is no URL is a usage error before any AWS call", async () => {
    expectUsageError(await runInProcess(redriveCommand, ["--queue-url", "u", "--table", "t"], tmp), "redrive:kinesis-ingest", /--queue-url must be an http\(s\) URL, got "u"/);
  }, 60_000);

  test("parse errors: each names what is wrong", () => {
    const url = "https://sqs.ap-northeast-1.amazonaws.com/123456789012/dlq";
    expect(parseRedriveArgs(["--queue-url", url, "--table", "t", "--dry-run"])).toEqual({ queueUrl: url, table: "t", maxMessages: 100, dryRun: true });
    expect(() => parseRedriveArgs(["--table", "t"])).toThrow(new UsageError("--queue-url missing"));
    expect(() => parseRedriveArgs([])).toThrow(new UsageError("--queue-url and --table missing"));
    expect(() => parseRedriveArgs(["--queue-url", url, "--table", "t", "--max-messages", "0"])).toThrow(/--max-messages must be a whole number/);
    expect(() => parseRedriveArgs(["--queue-url", url, "--table", "t", "--bogus"])).toThrow(new UsageError("unknown option --bogus"));
  });
});

describe("npm run addresses:record", () => {
  const files = (): string[] => STACK_IDS.map((id) => readFileSync(path.join(ROOT, "stacks", id, "addresses.txt"), "utf8"));

  test("--help prints the usage and rewrites nothing; any argument is refused and rewrites nothing", async () => {
    const before = files();
    const help = await runScript("scripts/addresses.ts", ["--help"], tmp);
    const [option, argument] = await inProcessEach(addressesCommand, [["--force"], ["media-alb"]], tmp);
    expectHelp(help);
    expectUsageError(option, "addresses:record", /unknown option --force/);
    expectUsageError(argument, "addresses:record", /takes no arguments/);
    expect(files()).toEqual(before);
    expect(ours(tmp)).toEqual([]);
  }, 60_000);
});

describe("npm run check:cdktn", () => {
  test("--help prints the usage and starts nothing; an unknown argument is refused", async () => {
    expectHelp(await runScript("scripts/check-cdktn.ts", ["--help"], tmp));
    expectUsageError(await runInProcess(checkCommand, ["--kep"], tmp), "check:cdktn", /unknown option --kep/);
    expect(ours(tmp)).toEqual([]);
  }, 60_000);

  test("arguments: --keep or nothing", () => {
    expect(parseCheckArgs([])).toEqual({ keep: false });
    expect(parseCheckArgs(["--keep"])).toEqual({ keep: true });
    expect(() => parseCheckArgs(["--keep=yes"])).toThrow(new UsageError("--keep takes no value"));
    expect(() => parseCheckArgs(["keep"])).toThrow(new UsageError('unexpected argument "keep"'));
  });
});

describe("npm run bench", () => {
  test("--help prints the usage; an unknown option and --runs abc are usage errors, before any run", async () => {
    const help = await runScript("scripts/bench.ts", ["--help"], tmp);
    const [unknown, runs] = await inProcessEach(benchCommand, [["--fast"], ["--runs", "abc"]], tmp);
    expectHelp(help);
    expectUsageError(unknown, "bench", /unknown option --fast/);
    expectUsageError(runs, "bench", /--runs must be a whole number in \[1, 100\], got "abc"/);
    expect(ours(tmp)).toEqual([]);
  }, 60_000);
});

/** A configuration synth refuses: one `configuration:` line per problem, exit status 2, as `npm run synth` reports it. */
function expectConfigurationError(ran: Ran, variable: string): void {
  expect(ran.code).toBe(2);
  expect(ran.stdout).toBe("");
  expect(ran.stderr.trim().split("\n")).toEqual([expect.stringMatching(new RegExp(`^configuration: ${variable} must be `))]);
}

describe("every command that synthesizes checks the configuration as synth does, before any work", () => {
  const bad = { APP_ENV: "Bad Env" };
  test.each<[string, string, string[]]>([
    ["capacity --synth", "tools/capacity/index.ts", ["kinesis-ingest", "--rps", "100", "--synth"]],
    ["replay", "tools/replay/index.ts", ["kinesis-ingest", "--requests", "10", "--no-progress"]],
    ["tf:check", "scripts/terraform-check.ts", ["media-alb"]],
    ["addresses:record", "scripts/addresses.ts", []],
    ["bench", "scripts/bench.ts", ["--runs", "1"]],
  ])("%s: a bad APP_ENV is one line, exit status 2, nothing synthesized or written", async (_name, script, args) => {
    const before = STACK_IDS.map((id) => readFileSync(path.join(ROOT, "stacks", id, "addresses.txt"), "utf8"));
    expectConfigurationError(await runScript(script, args, tmp, undefined, bad), "APP_ENV");
    expect(ours(tmp)).toEqual([]);
    expect(STACK_IDS.map((id) => readFileSync(path.join(ROOT, "stacks", id, "addresses.txt"), "utf8"))).toEqual(before);
  }, 60_000);

  test("replay: a --synth-dir made with another configuration than the one given is a usage error", () => {
    const dev = sharedSynthDir("app");
    expect(() => parseReplayArgs(["kinesis-ingest", "--synth-dir", dev], { APP_ENV: "prod" })).toThrow(
      /kinesis-ingest\/cdk\.tf\.json was synthesized with APP_ENV=dev, not the configuration given \(APP_ENV=prod\)/,
    );
    expect(parseReplayArgs(["kinesis-ingest", "--synth-dir", dev], {}).options.deployment?.name).toBe("dev");
    expect(() => parseReplayArgs(["kinesis-ingest"], { AWS_REGION: "mars-1" })).toThrow(/AWS_REGION must be a region/);
  });

  test("tf:check plans offline: OFFLINE=0 is refused, not ignored", async () => {
    const ran = await runScript("scripts/terraform-check.ts", ["media-alb"], tmp, undefined, { OFFLINE: "0" });
    expect(ran.code).toBe(2);
    expect(ran.stderr.trim()).toMatch(/^configuration: OFFLINE is "0", but the Terraform proof plans offline \(OFFLINE=1\)/);
  }, 60_000);

  test("capacity --synth honours the configuration: APP_ENV=prod reports prod- resources, no dev- one", async () => {
    const ran = await runScript("tools/capacity/index.ts", ["kinesis-ingest", "--rps", "100", "--synth", "--json"], tmp, undefined, { APP_ENV: "prod" });
    expect(ran.stderr).toBe("");
    expect(ran.code).toBe(0);
    const names = (JSON.parse(ran.stdout) as { analysis: { components: { name: string }[] } }).analysis.components.map((c) => c.name).filter((n) => /-/.test(n));
    expect(names.some((n) => /\bprod-/.test(n))).toBe(true);
    expect(names.filter((n) => /\bdev-/.test(n))).toEqual([]);
    expect(ours(tmp)).toEqual([]);
  }, 120_000);
});

describe("synth-diff", () => {
  test("a stack folder without its file on both sides is 'missing on both sides', not 'in the reference'", () => {
    for (const side of ["before", "after"]) mkdirSync(path.join(tmp, side, "stacks", "ghost"), { recursive: true });
    const [ghost] = compareSynthDirs(path.join(tmp, "before"), path.join(tmp, "after"));
    expect(ghost.missing).toBe("both");
    expect(formatComparison(ghost)).toEqual(["ghost: stack missing on both sides"]);
  });
});
