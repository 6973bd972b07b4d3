/**
 * Proves Terraform configurations with Terraform itself, offline and in
 * parallel: the one pool every Terraform check of the project shares (the
 * synthesized stacks, and any other folder Terraform should plan: an HCL
 * export, a tfvars variant).
 *
 * Per folder: `terraform init` (only when its providers or backend changed),
 * then one `terraform plan -json`. No separate `validate` and no `show`: each
 * would start the 700 MB AWS provider once more, and `plan` already runs the
 * same validation as `terraform validate` before planning (the CLI sets
 * `Validation = true` on the local backend, which then calls `Core.Validate`).
 *
 * Work not repeated:
 * - one provider install for every folder: the local mirror (`TF_PLUGIN_MIRROR`,
 *   default /opt/tf-plugins) doubles as the plugin cache, so init only links it
 *   (without a mirror, the cache is node_modules/.cache/terraform/plugins);
 * - `.terraform` kept between runs in node_modules/.cache/terraform/data/<key>,
 *   `<key>` hashing what init depends on (the `terraform` block: providers,
 *   versions, backend; the Terraform version; the CLI configuration), with the
 *   lock file init wrote: an unchanged folder plans without init;
 * - at most `concurrency` plans at once (default: the number of cores), counted
 *   across processes (jest workers), through lock files in one folder.
 *
 *   npx tsx scripts/terraform/prove.ts <dir> [var-file...]   # one folder, by hand
 */
import { execFile, execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..");
/** Everything this module keeps between runs; never committed (node_modules is ignored). */
export const TERRAFORM_CACHE = path.join(ROOT, "node_modules", ".cache", "terraform");
const MIRROR = process.env.TF_PLUGIN_MIRROR ?? "/opt/tf-plugins";

export interface ProveOptions {
  /** Plans at once, across every process using this pool. @default the number of cores */
  readonly concurrency?: number;
  /** `-var-file`s for a folder. @default none */
  readonly varFiles?: (dir: string) => readonly string[];
  /** Also return the plan as `terraform show -json` gives it (one more provider start per folder). @default false */
  readonly planJson?: boolean;
}

export interface ProofResult {
  readonly dir: string;
  readonly ok: boolean;
  /** Errors and warnings Terraform reported (or the failure), readable. */
  readonly log: string;
  /** `type.name` of every managed resource the plan would create (for_each/count keys folded). */
  readonly planned: readonly string[];
  /** Whether `terraform init` ran (false: `.terraform` reused). */
  readonly initialized: boolean;
  /** Wall time of this folder's proof, waiting for a slot excluded. */
  readonly ms: number;
  /** With `planJson`: the saved plan, as `terraform show -json` prints it. */
  readonly plan?: unknown;
}

export function terraformAvailable(): boolean {
  try {
    version();
    return true;
  } catch {
    return false;
  }
}

let terraformVersion: string | undefined;
function version(): string {
  if (terraformVersion === undefined) {
    // stderr ignored: a missing ~/.terraformrc only warns; no version check call home.
    const out = execFileSync("terraform", ["version", "-json"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
      env: { ...process.env, CHECKPOINT_DISABLE: "1" },
    });
    const { terraform_version, platform } = JSON.parse(out) as { terraform_version: string; platform: string };
    terraformVersion = `${terraform_version} ${platform}`;
  }
  return terraformVersion;
}

/** The CLI configuration: the local mirror (if any) as the only source and the plugin cache of hashicorp providers. */
function cliConfig(): string {
  if (!existsSync(MIRROR)) {
    const cache = path.join(TERRAFORM_CACHE, "plugins");
    mkdirSync(cache, { recursive: true });
    return `plugin_cache_dir = "${cache}"\n`;
  }
  return `provider_installation {
  filesystem_mirror {
    path    = "${MIRROR}"
    include = ["registry.terraform.io/hashicorp/*"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/*"]
  }
}
# The mirror doubles as the plugin cache, so init links the 700 MB provider instead of copying it.
plugin_cache_dir = "${MIRROR}"
plugin_cache_may_break_dependency_lock_file = true
`;
}

function cliConfigFile(): string {
  const text = cliConfig();
  const file = path.join(TERRAFORM_CACHE, `cli-${sha256(text).slice(0, 12)}.tfrc`);
  if (!existsSync(file)) writeAtomically(file, text);
  return file;
}

function sha256(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

function writeAtomically(file: string, data: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

/**
 * What `terraform init` depends on in a folder: the `terraform` block of each
 * `.tf.json` file (providers, versions, backend), every `.tf` file whole (HCL
 * is not parsed here, so any change there re-initializes, to be safe).
 */
function initInputs(dir: string): string {
  const parts: string[] = [];
  for (const file of readdirSync(dir).sort()) {
    if (file.endsWith(".tf.json")) {
      const json = JSON.parse(readFileSync(path.join(dir, file), "utf8")) as { terraform?: unknown };
      parts.push(`${file}:${JSON.stringify(json.terraform ?? null)}`);
    } else if (file.endsWith(".tf")) {
      parts.push(`${file}:${sha256(readFileSync(path.join(dir, file)))}`);
    }
  }
  return parts.join("\n");
}

/** Environment of every terraform command: offline, no prompts, fake credentials, no AWS profile. */
function terraformEnv(dataDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TF_CLI_CONFIG_FILE: cliConfigFile(),
    TF_DATA_DIR: dataDir,
    TF_IN_AUTOMATION: "1",
    TF_INPUT: "0",
    CHECKPOINT_DISABLE: "1",
    AWS_ACCESS_KEY_ID: "offline-plan",
    AWS_SECRET_ACCESS_KEY: "offline-plan",
    AWS_EC2_METADATA_DISABLED: "true",
  };
  delete env.AWS_PROFILE;
  delete env.AWS_SESSION_TOKEN;
  return env;
}

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function terraform(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    execFile("terraform", [...args], { cwd, env, maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      resolve({ code, stdout, stderr: err && !stderr ? err.message : stderr });
    });
  });
}

/**
 * `.terraform` for this folder, from the cache or made by `terraform init`
 * (into a fresh folder, then renamed: concurrent proofs never see half of one).
 */
async function dataDirFor(dir: string): Promise<{ dataDir: string; initialized: boolean; log: string; ok: boolean }> {
  const key = sha256([version(), cliConfig(), initInputs(dir)].join("\n")).slice(0, 16);
  const dataDir = path.join(TERRAFORM_CACHE, "data", key);
  const lockFile = path.join(dataDir, ".terraform.lock.hcl");
  if (existsSync(lockFile)) {
    copyFileSync(lockFile, path.join(dir, ".terraform.lock.hcl"));
    return { dataDir, initialized: false, log: "", ok: true };
  }
  const fresh = `${dataDir}.${process.pid}.${Date.now()}`;
  const init = await terraform(["init", "-input=false", "-no-color"], dir, terraformEnv(fresh));
  if (init.code !== 0) {
    rmSync(fresh, { recursive: true, force: true });
    return { dataDir, initialized: true, log: `terraform init failed:\n${init.stdout}${init.stderr}`, ok: false };
  }
  copyFileSync(path.join(dir, ".terraform.lock.hcl"), path.join(fresh, ".terraform.lock.hcl"));
  try {
    renameSync(fresh, dataDir);
  } catch {
    rmSync(fresh, { recursive: true, force: true }); // another process made the same one first
  }
  return { dataDir, initialized: true, log: "", ok: true };
}

interface PlanMessage {
  readonly type: string;
  readonly change?: { resource: { resource_type: string; resource_name: string; module?: string }; action: string };
  readonly diagnostic?: {
    severity: string;
    summary: string;
    detail?: string;
    range?: { filename: string; start: { line: number } };
  };
}

/** The planned creates and the diagnostics of `terraform plan -json` output. */
function readPlan(stdout: string): { planned: string[]; diagnostics: string[] } {
  const planned = new Set<string>();
  const diagnostics: string[] = [];
  for (const line of stdout.split("\n")) {
    if (!line.startsWith("{")) continue;
    const message = JSON.parse(line) as PlanMessage;
    if (message.type === "planned_change" && message.change) {
      const { resource, action } = message.change;
      if (action === "create" && !resource.module) planned.add(`${resource.resource_type}.${resource.resource_name}`);
    } else if (message.type === "diagnostic" && message.diagnostic) {
      const d = message.diagnostic;
      const where = d.range ? ` (${d.range.filename}:${d.range.start.line})` : "";
      diagnostics.push(`${d.severity}: ${d.summary}${where}${d.detail ? `\n  ${d.detail}` : ""}`);
    }
  }
  return { planned: [...planned], diagnostics };
}

/** Init (if needed) and plan one folder; never throws, a failure is in the result. */
async function proveOne(dir: string, varFiles: readonly string[], planJson = false): Promise<ProofResult> {
  const start = process.hrtime.bigint();
  const elapsed = (): number => Number(process.hrtime.bigint() - start) / 1e6;
  try {
    const data = await dataDirFor(dir);
    if (!data.ok) return { dir, ok: false, log: data.log, planned: [], initialized: data.initialized, ms: elapsed() };
    const saved = path.join(dir, "tfplan");
    const args = [
      "plan", "-input=false", "-lock=false", "-refresh=false", "-no-color", "-json",
      ...(planJson ? [`-out=${saved}`] : []),
      ...varFiles.map((f) => `-var-file=${path.resolve(f)}`),
    ];
    const plan = await terraform(args, dir, terraformEnv(data.dataDir));
    const { planned, diagnostics } = readPlan(plan.stdout);
    const ok = plan.code === 0;
    const log = [...diagnostics, ...(ok ? [] : [plan.stderr])].filter(Boolean).join("\n");
    if (!ok || !planJson) return { dir, ok, log, planned, initialized: data.initialized, ms: elapsed() };
    const show = await terraform(["show", "-json", "-no-color", saved], dir, terraformEnv(data.dataDir));
    rmSync(saved, { force: true });
    if (show.code !== 0) return { dir, ok: false, log: `${log}\nterraform show failed:\n${show.stderr}`, planned, initialized: data.initialized, ms: elapsed() };
    return { dir, ok, log, planned, initialized: data.initialized, ms: elapsed(), plan: JSON.parse(show.stdout) as unknown };
  } catch (err) {
    return { dir, ok: false, log: err instanceof Error ? (err.stack ?? err.message) : String(err), planned: [], initialized: false, ms: elapsed() };
  }
}

const SLOTS = path.join(TERRAFORM_CACHE, "slots");

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * One of `count` slots shared by every process on this machine (a lock file
 * holding the owner's pid; the slot of a dead owner, or a stale one, is taken over).
 */
async function acquireSlot(count: number): Promise<() => void> {
  mkdirSync(SLOTS, { recursive: true });
  for (;;) {
    for (let i = 0; i < count; i++) {
      const file = path.join(SLOTS, `slot-${i}`);
      try {
        writeFileSync(file, String(process.pid), { flag: "wx" });
        return () => rmSync(file, { force: true });
      } catch {
        const owner = Number(readFileSafe(file));
        if ((owner > 0 && !alive(owner)) || ageMs(file) > STALE_SLOT_MS) unlinkSafe(file);
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** No single plan takes this long: a slot older than this was left behind (its pid reused). */
const STALE_SLOT_MS = 15 * 60 * 1000;

function ageMs(file: string): number {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

function readFileSafe(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

function unlinkSafe(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // someone else removed it first
  }
}

/** Proves every folder, at most `concurrency` at once; results in the order of `dirs`. */
export async function proveStacks(dirs: readonly string[], options: ProveOptions = {}): Promise<ProofResult[]> {
  const concurrency = Math.max(1, options.concurrency ?? os.availableParallelism());
  return Promise.all(
    dirs.map(async (dir) => {
      const release = await acquireSlot(concurrency);
      try {
        return await proveOne(dir, options.varFiles?.(dir) ?? [], options.planJson);
      } finally {
        release();
      }
    }),
  );
}

/** `type.name` of every unconditional resource in a folder's cdk.tf.json (a `count` may plan to zero). */
export function synthesizedAddresses(dir: string): string[] {
  const synth = JSON.parse(readFileSync(path.join(dir, "cdk.tf.json"), "utf8")) as {
    resource?: Record<string, Record<string, { count?: unknown }>>;
  };
  return Object.entries(synth.resource ?? {}).flatMap(([type, byName]) =>
    Object.entries(byName)
      .filter(([, body]) => body.count === undefined)
      .map(([name]) => `${type}.${name}`),
  );
}

async function main(): Promise<void> {
  const [dir, ...varFiles] = process.argv.slice(2);
  if (!dir) {
    console.error("usage: npx tsx scripts/terraform/prove.ts <terraform folder> [var-file...]");
    process.exit(2);
  }
  if (!terraformAvailable()) {
    console.error("terraform CLI not found: cannot plan. Install Terraform >= 1.10.");
    process.exit(1);
  }
  const [result] = await proveStacks([path.resolve(dir)], { varFiles: () => varFiles });
  if (result.log) console.log(result.log);
  console.log(`${result.ok ? "ok  " : "FAIL"} ${dir}: ${result.planned.length} resources to create (${(result.ms / 1000).toFixed(1)} s${result.initialized ? ", with init" : ""})`);
  process.exit(result.ok ? 0 : 1);
}

if (require.main === module) void main();
