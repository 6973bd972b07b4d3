/**
 * `npx tsx scripts/check-deploy.ts [<stack id>]` (default kinesis-ingest): proves the
 * deploy path (`npx cdktf diff` and `npx cdktf deploy`) as far as it goes without an
 * AWS account or the internet, in a temporary output folder (this project's `cdktf.out`
 * and state files are left alone):
 *
 *   1. diff: `cdktf diff <id>` synthesizes, runs `terraform init` from the local
 *      provider mirror and shows the plan (`Plan: N to add, 0 to change, 0 to destroy`);
 *   2. deploy: `cdktf deploy <id>` in a pseudo-terminal (util-linux `script`: the
 *      approval prompt is drawn only on a terminal) reaches "Please review the diff
 *      output above", where the check picks Dismiss: it must exit 0 having written
 *      no state at all;
 *   3. archive: the same diff with the default packaging (`LAMBDA_PACKAGING=archive`)
 *      stops at `terraform init`, which cannot install hashicorp/archive: the mirror
 *      holds only hashicorp/aws and the registry cannot be reached. (With network
 *      access it gets past init; the step then says so.)
 *
 * The settings (`deployEnvironment`, `offlineCliConfig`) are the ones docs/operations.md
 * "Deploy from an offline machine" documents. One line per step; exits 1 when diff or
 * deploy failed, 2 on a usage error or when terraform, the mirror or `script` is missing.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { STACK_IDS, type StackId } from "../main";
import { makeTempDir, readOptions, removeTempDir, runMain, stackArgument, UsageError } from "../tools/cli";
import { acquireSlots, PROVIDER_SLOTS, terraformAvailable } from "./terraform/prove";

const ROOT = path.resolve(__dirname, "..");
const CDKTF = path.join(ROOT, "node_modules", ".bin", "cdktf");
export const MIRROR = process.env.TF_PLUGIN_MIRROR ?? "/opt/tf-plugins";
export const DEFAULT_STACK: StackId = "kinesis-ingest";

export type Step = "diff" | "deploy" | "archive";

export interface StepResult {
  readonly step: Step;
  /** diff and deploy: the path works; archive: the expected outcome (refused offline, or planned with network). */
  readonly ok: boolean;
  readonly summary: string;
  readonly ms: number;
  /** Everything the command printed, terminal codes removed. */
  readonly output: string;
}

/** What stops the check before it starts (exit 2), or undefined when it can run. */
export function missingPrerequisite(): string | undefined {
  if (!terraformAvailable()) return "terraform is not on PATH";
  if (providersIn(MIRROR).length === 0) return `no provider mirror at ${MIRROR} (TF_PLUGIN_MIRROR)`;
  if (!onPath("script")) return "`script` (util-linux) is not on PATH: the approval prompt needs a pseudo-terminal";
  return undefined;
}

function onPath(command: string): boolean {
  return (process.env.PATH ?? "").split(path.delimiter).some((dir) => dir !== "" && existsSync(path.join(dir, command)));
}

/** `registry.terraform.io/<namespace>/<type>` of every provider the mirror holds. */
export function providersIn(mirror: string): string[] {
  const registry = path.join(mirror, "registry.terraform.io");
  if (!existsSync(registry)) return [];
  return readdirSync(registry).flatMap((namespace) =>
    readdirSync(path.join(registry, namespace)).map((type) => `registry.terraform.io/${namespace}/${type}`),
  );
}

/**
 * The Terraform CLI configuration: the providers the mirror holds come from it and from nowhere
 * else; any other (hashicorp/archive) from the registry, which an offline machine cannot reach.
 * The mirror doubles as the plugin cache, so init links the ~700 MB provider instead of copying it.
 */
export function offlineCliConfig(mirror: string): string {
  const list = providersIn(mirror)
    .map((p) => `"${p}"`)
    .join(", ");
  return `provider_installation {
  filesystem_mirror {
    path    = "${mirror}"
    include = [${list}]
  }
  direct {
    exclude = [${list}]
  }
}
plugin_cache_dir = "${mirror}"
plugin_cache_may_break_dependency_lock_file = true
`;
}

/**
 * The environment of an offline `cdktf diff` / `deploy`: the CLI configuration above, no call to
 * HashiCorp's version check, the offline synth (lookups supplied, provider skips), the packaging,
 * dummy credentials (the provider will not start without some; nothing is sent), and none of the
 * settings that would change what is checked (a state bucket, another environment, no prompts).
 */
export function deployEnvironment(cliConfigFile: string, packaging: "asset" | "archive", base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const name of Object.keys(env)) {
    if (/^(TF_CLI_ARGS|STATE_|AWS_)/.test(name) || ["TF_INPUT", "TF_IN_AUTOMATION", "APP_ENV", "CI"].includes(name)) delete env[name];
  }
  return {
    ...env,
    TF_CLI_CONFIG_FILE: cliConfigFile,
    CHECKPOINT_DISABLE: "1",
    // cdktf would point TF_PLUGIN_CACHE_DIR at ~/.terraform.d/plugin-cache; the CLI configuration's cache (the mirror) is used instead.
    CDKTF_DISABLE_PLUGIN_CACHE_ENV: "1",
    OFFLINE: "1",
    LAMBDA_PACKAGING: packaging,
    AWS_ACCESS_KEY_ID: "offline-check",
    AWS_SECRET_ACCESS_KEY: "offline-check",
    AWS_EC2_METADATA_DISABLED: "true",
    // The approval prompt draws on a terminal of this size.
    COLUMNS: "160",
    LINES: "50",
    TERM: env.TERM && env.TERM !== "dumb" ? env.TERM : "xterm",
  };
}

/** `cdktf <command> <id>` arguments: the temporary output, the stack's example values, and no `terraform providers lock` (it asks the registry, whatever the CLI configuration says). */
export function cdktfArguments(command: "diff" | "deploy", stack: StackId, outdir: string): string[] {
  return [command, stack, "--skip-provider-lock", `--output=${outdir}`, `--var-file=${path.join(ROOT, "stacks", stack, "example.tfvars")}`];
}

/** Terminal output as text: colours, cursor moves and carriage returns removed. */
export function plainText(output: string): string {
  return output
    .replace(/\x1b\][^\x07\x1b]*(\x07|\x1b\\)/g, "")
    .replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, "")
    .replace(/\x1b[()][A-Za-z0-9]/g, "")
    .replace(/\r/g, "");
}

const PLAN = /Plan: (\d+) to add, (\d+) to change, (\d+) to destroy/;

interface Run {
  readonly code: number | null;
  readonly output: string;
  readonly timedOut: boolean;
}

/** Runs `command args` in its own process group (killed as a whole at `timeoutMs`); `onOutput` sees the text so far. */
function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs: number, onOutput?: (text: string, child: ChildProcess) => void): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: ROOT, env, detached: true, stdio: ["pipe", "pipe", "pipe"] });
    let raw = "";
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      kill(child);
    }, timeoutMs);
    const take = (chunk: Buffer): void => {
      raw += chunk.toString("utf8");
      onOutput?.(plainText(raw), child);
    };
    child.stdout?.on("data", take);
    child.stderr?.on("data", take);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output: plainText(raw), timedOut });
    });
  });
}

function kill(child: ChildProcess): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
  } catch {
    // already gone
  }
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** Every state file under `dir` (`.terraform/terraform.tfstate` is init's record of the backend, not state). */
function stateFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).filter(
    (file) => /\.tfstate(\.backup)?$/.test(file) && !file.split(path.sep).includes(".terraform"),
  );
}

async function diffStep(stack: StackId, work: string, cliConfig: string, timeoutMs: number): Promise<StepResult> {
  const start = Date.now();
  const outdir = path.join(work, "diff", "cdktf.out");
  mkdirSync(path.dirname(outdir), { recursive: true });
  const release = await acquireSlots(PROVIDER_SLOTS);
  const result = await run(CDKTF, cdktfArguments("diff", stack, outdir), deployEnvironment(cliConfig, "asset"), timeoutMs).finally(release);
  const plan = PLAN.exec(result.output);
  const ok = result.code === 0 && plan !== null && plan[2] === "0" && plan[3] === "0";
  const summary = ok ? `plan shown: ${plan[0]}` : failure("cdktf diff", result);
  return { step: "diff", ok, summary, ms: Date.now() - start, output: result.output };
}

/** The approval prompt's heading, once cdktf draws it. */
const PROMPT = (stack: StackId): string => `Please review the diff output above for ${stack}`;

async function deployStep(stack: StackId, work: string, cliConfig: string, timeoutMs: number): Promise<StepResult> {
  const start = Date.now();
  const base = path.join(work, "deploy");
  const outdir = path.join(base, "cdktf.out");
  mkdirSync(base, { recursive: true });
  const command = [CDKTF, ...cdktfArguments("deploy", stack, outdir)].map(shellQuote).join(" ");
  let moved = false;
  let dismissed = false;
  const release = await acquireSlots(PROVIDER_SLOTS);
  // `script -q -e -f -c CMD /dev/null`: CMD on a pseudo-terminal, its exit status passed on, output unbuffered.
  const result = await run("script", ["-qefc", command, "/dev/null"], deployEnvironment(cliConfig, "asset"), timeoutMs, (text, child) => {
    const prompt = text.lastIndexOf(PROMPT(stack));
    if (prompt < 0) return;
    const menu = text.slice(prompt);
    if (!moved && /❯\s*Approve/.test(menu)) {
      moved = true;
      child.stdin?.write("\x1b[B"); // arrow down: Approve -> Dismiss
    } else if (moved && !dismissed && /❯\s*Dismiss/.test(menu)) {
      dismissed = true;
      child.stdin?.write("\r");
    }
  }).finally(release);
  const states = stateFiles(base);
  const plan = PLAN.exec(result.output);
  const ok = dismissed && result.code === 0 && states.length === 0 && plan !== null;
  const summary = ok
    ? `approval prompt reached after ${plan[0]}; Dismiss picked: exit 0, no state written`
    : !dismissed
      ? `${failure("cdktf deploy", result)} (the approval prompt never came)`
      : states.length > 0
        ? `declining wrote state: ${states.join(", ")}`
        : failure("cdktf deploy", result);
  return { step: "deploy", ok, summary, ms: Date.now() - start, output: result.output };
}

/**
 * `cdktf diff` with archive packaging; or, given a synth of it (`from`), the step of that diff
 * which fails: `terraform init` in a copy of the stack's folder (no second synth).
 */
async function archiveStep(stack: StackId, work: string, cliConfig: string, timeoutMs: number, from?: string): Promise<StepResult> {
  const start = Date.now();
  const env = deployEnvironment(cliConfig, "archive");
  let result: Run;
  if (from) {
    const dir = path.join(work, "archive", stack);
    cpSync(path.join(from, "stacks", stack), dir, { recursive: true, filter: (source) => !path.basename(source).startsWith(".terraform") });
    result = await run("terraform", [`-chdir=${dir}`, "init", "-input=false", "-no-color"], env, timeoutMs);
  } else {
    const outdir = path.join(work, "archive", "cdktf.out");
    mkdirSync(path.dirname(outdir), { recursive: true });
    result = await run(CDKTF, cdktfArguments("diff", stack, outdir), env, timeoutMs);
  }
  const refused = result.code !== 0 && /hashicorp\/archive/.test(result.output) && /registry\.terraform\.io/.test(result.output);
  const passed = result.code === 0 && (from !== undefined || PLAN.test(result.output));
  const summary = refused
    ? "stops at terraform init, as expected offline: hashicorp/archive is in no mirror and registry.terraform.io cannot be reached"
    : passed
      ? "gets past terraform init too: this machine reaches registry.terraform.io for hashicorp/archive"
      : failure(from ? "terraform init (archive packaging)" : "cdktf diff (archive packaging)", result);
  return { step: "archive", ok: refused || passed, summary, ms: Date.now() - start, output: result.output };
}

function failure(what: string, result: Run): string {
  if (result.timedOut) return `${what} did not finish in time`;
  const last = result.output.split("\n").map((line) => line.trim()).filter((line) => /error/i.test(line)).slice(-2).join(" / ");
  return `${what} exited ${result.code}${last ? `: ${last}` : ""}`;
}

function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export interface CheckOptions {
  readonly stack?: StackId;
  /** Also show why archive packaging cannot get there offline. @default true */
  readonly archive?: boolean;
  /** An archive-packaged synth (a `cdktf.out`) to init from, instead of synthesizing one. @default none */
  readonly archiveFrom?: string;
  /** Per command. @default 240 s */
  readonly timeoutMs?: number;
  /** Keep the temporary folder (its path is returned). @default false */
  readonly keep?: boolean;
}

/** Runs the steps in order, in a temporary folder; deploy only after a diff that worked. */
export async function checkDeploy(options: CheckOptions = {}): Promise<{ results: StepResult[]; work: string }> {
  const stack = options.stack ?? DEFAULT_STACK;
  const timeoutMs = options.timeoutMs ?? 240_000;
  const work = makeTempDir("check-deploy-");
  const cliConfig = path.join(work, "offline.tfrc");
  writeFileSync(cliConfig, offlineCliConfig(MIRROR));
  const results: StepResult[] = [];
  try {
    results.push(await diffStep(stack, work, cliConfig, timeoutMs));
    if (results[0].ok) results.push(await deployStep(stack, work, cliConfig, timeoutMs));
    if (options.archive ?? true) results.push(await archiveStep(stack, work, cliConfig, timeoutMs, options.archiveFrom));
  } finally {
    if (!options.keep) removeTempDir(work);
  }
  return { results, work };
}

const USAGE = `usage: npx tsx scripts/check-deploy.ts [<stack id>] [--no-archive] [--keep]

Proves offline that \`npx cdktf diff <id>\` shows the plan and \`npx cdktf deploy <id>\`
reaches its approval prompt (declined: nothing changes), then that archive packaging
stops at terraform init. Default stack: ${DEFAULT_STACK}; stacks: ${STACK_IDS.join(", ")}.`;

if (require.main === module) {
  runMain(
    "check-deploy",
    USAGE,
    async (argv) => {
      const stackArgs = argv.filter((arg) => !arg.startsWith("-"));
      if (stackArgs.length > 1) throw new UsageError(`one stack at a time, got ${stackArgs.join(", ")}`);
      const options = readOptions(argv.filter((arg) => arg.startsWith("-")), ["no-archive", "keep"], []);
      const stack = stackArgs.length === 1 ? stackArgument(stackArgs[0], STACK_IDS) : DEFAULT_STACK;
      const missing = missingPrerequisite();
      if (missing) {
        process.stderr.write(`check-deploy: ${missing}\n`);
        return 2;
      }
      const names = new Set(options.map(([name]) => name));
      const { results, work } = await checkDeploy({ stack, archive: !names.has("no-archive"), keep: names.has("keep") });
      for (const r of results) process.stdout.write(`${r.step.padEnd(8)} ${r.ok ? "ok    " : "FAILED"} ${r.summary} (${seconds(r.ms)})\n`);
      if (names.has("keep")) process.stdout.write(`kept: ${work}\n`);
      const failed = results.filter((r) => !r.ok);
      for (const r of failed) process.stderr.write(`--- ${r.step}: last lines ---\n${r.output.split("\n").slice(-40).join("\n")}\n`);
      return failed.length === 0 && results.length >= 2 ? 0 : 1;
    },
    { exitOnSignals: true },
  );
}
