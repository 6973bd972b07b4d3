/**
 * Proves Terraform configurations with Terraform itself, offline: the one pool
 * every Terraform check of the project shares (the synthesized stacks, and any
 * other folder Terraform should plan: an HCL export, a tfvars variant).
 *
 * Several folders are planned in one Terraform run: a root module made for the
 * run calls each folder as a child module (its var files become the module's
 * arguments), so the provider's schema is read once for all of them, not once
 * per folder (half of a one-stack plan's CPU), and folders whose provider
 * configurations agree but for default tag values share one provider process
 * (./shared-provider.ts): five stacks plan in about the time of one. Each folder's result is its own
 * part of that plan: its planned resources, the diagnostics of its files. If
 * the run fails, every folder is proven again on its own, so a failure is
 * always reported against the folder that has it, in the words of a plan of
 * that folder alone. The one difference batching makes: Terraform ignores a
 * backend block in a child module (and warns so; that warning is dropped);
 * the stacks' backend is proven by real applies in state-location.test.ts.
 *
 * A run: `terraform init` (only when providers, backend or modules changed),
 * then one `terraform plan -json`. No separate `validate`: it would start the
 * 700 MB AWS provider once more, and `plan` already runs the same validation
 * as `terraform validate` before planning (the CLI sets `Validation = true` on
 * the local backend, which then calls `Core.Validate`).
 *
 * Work not repeated:
 * - one provider install for every folder: the local mirror (`TF_PLUGIN_MIRROR`,
 *   default /opt/tf-plugins) doubles as the plugin cache, so init only links it
 *   (without a mirror, the cache is node_modules/.cache/terraform/plugins);
 * - `.terraform` kept between runs in node_modules/.cache/terraform/data/<key>,
 *   `<key>` hashing what init depends on (the `terraform` block: providers,
 *   versions, backend; the Terraform version; the CLI configuration), with the
 *   lock file init wrote: an unchanged folder plans without init;
 * - at most `concurrency` AWS provider processes at once (default PROVIDER_SLOTS),
 *   counted across processes (jest workers), through lock files in one folder.
 *
 *   npx tsx scripts/terraform/prove.ts <dir> [var-file...]   # one folder, by hand
 */
import { execFile, execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  copyFileSync,
  cpSync,
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
import * as path from "node:path";
import { atExit, makeTempDir, removeTempDir } from "../../tools/cli";
import { ProviderConfigs, providerConfigs } from "./shared-provider";

const ROOT = path.resolve(__dirname, "..", "..");
/** Everything this module keeps between runs; never committed (node_modules is ignored). */
export const TERRAFORM_CACHE = path.join(ROOT, "node_modules", ".cache", "terraform");
const MIRROR = process.env.TF_PLUGIN_MIRROR ?? "/opt/tf-plugins";

export interface ProveOptions {
  /** AWS provider processes at once, across every process using this pool (a run holds one per process it starts). @default PROVIDER_SLOTS */
  readonly concurrency?: number;
  /** `-var-file`s for a folder. @default none */
  readonly varFiles?: (dir: string) => readonly string[];
  /** Also return the plan as `terraform show -json` gives it (one more provider start per run). @default false */
  readonly planJson?: boolean;
  /** Plan the folders together in one Terraform run (see above); `false`: one run per folder. @default true */
  readonly batch?: boolean;
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
  /** Wall time of the Terraform run that proved this folder, waiting for a slot excluded. */
  readonly ms: number;
  /** How many folders that run proved (1: this folder alone). */
  readonly batchSize: number;
  /** Whether its provider configuration was shared with other folders of the run (one provider process for them). */
  readonly sharedProvider?: boolean;
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

/** Runs the Terraform CLI; a run still going when this process exits (a signal, say) is stopped with it. */
function terraform(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile("terraform", [...args], { cwd, env, maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      forget();
      const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      resolve({ code, stdout, stderr: err && !stderr ? err.message : stderr });
    });
    const forget = atExit(() => child.kill("SIGTERM"));
  });
}

/** The lock file init wrote (none when the configuration needs no provider) is kept with `.terraform`: copied `from` -> `to`. */
function lock(from: string, to: string): void {
  if (existsSync(path.join(from, ".terraform.lock.hcl"))) copyFileSync(path.join(from, ".terraform.lock.hcl"), path.join(to, ".terraform.lock.hcl"));
}

/** Written into a cached `.terraform` once init has completed there. */
const INITIALIZED = "proof-initialized";

/**
 * `.terraform` for a root module, from the cache or made by `terraform init`
 * (into a fresh folder, then renamed: concurrent proofs never see half of one).
 * `inputs`: what init depends on (see `initInputs`).
 */
async function dataDirFor(dir: string, inputs = initInputs(dir)): Promise<{ dataDir: string; initialized: boolean; log: string; ok: boolean }> {
  const key = sha256([version(), cliConfig(), inputs].join("\n")).slice(0, 16);
  const dataDir = path.join(TERRAFORM_CACHE, "data", key);
  if (existsSync(path.join(dataDir, INITIALIZED))) {
    lock(dataDir, dir);
    return { dataDir, initialized: false, log: "", ok: true };
  }
  const fresh = `${dataDir}.${process.pid}.${Date.now()}`;
  // Half an init is never kept: removed at exit (a signal, say) unless renamed into place below.
  const forgetFresh = atExit(() => rmSync(fresh, { recursive: true, force: true }));
  try {
    return await initInto(fresh, dir, dataDir);
  } finally {
    forgetFresh();
  }
}

/** `terraform init` of root module `dir` into data folder `fresh`, then moved to `dataDir` (see `dataDirFor`). */
async function initInto(fresh: string, dir: string, dataDir: string): Promise<{ dataDir: string; initialized: boolean; log: string; ok: boolean }> {
  const init = await terraform(["init", "-input=false", "-no-color"], dir, terraformEnv(fresh));
  if (init.code !== 0) {
    rmSync(fresh, { recursive: true, force: true });
    return { dataDir, initialized: true, log: `terraform init failed:\n${init.stdout}${init.stderr}`, ok: false };
  }
  mkdirSync(fresh, { recursive: true });
  lock(dir, fresh);
  writeFileSync(path.join(fresh, INITIALIZED), "");
  if (existsSync(path.join(dataDir, INITIALIZED))) {
    rmSync(fresh, { recursive: true, force: true }); // another process made the same one first, and may be using it
  } else {
    rmSync(dataDir, { recursive: true, force: true }); // left without the marker by an older version of this module
    try {
      renameSync(fresh, dataDir);
    } catch {
      rmSync(fresh, { recursive: true, force: true });
    }
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
    address?: string;
    range?: { filename: string; start: { line: number } };
  };
}

/** What `terraform plan -json` said about one module (`""`: the root module). */
interface ModulePlan {
  /** `type.name` of the resources this module would create (its own, not its children's). */
  readonly planned: Set<string>;
  readonly diagnostics: string[];
}

/**
 * The planned creates and the diagnostics of `terraform plan -json` output, per
 * module call of the root (`module.<name>`); diagnostics no module can be named
 * for (a provider error, say) are under `""`.
 */
function readPlan(stdout: string, modules: readonly string[] = []): Map<string, ModulePlan> {
  const byModule = new Map<string, ModulePlan>(["", ...modules].map((m) => [m, { planned: new Set(), diagnostics: [] }]));
  const moduleOf = (address: string | undefined, filename = ""): string => {
    const call = /^module\.([^.[]+)/.exec(address ?? "")?.[1] ?? /^m\/([^/]+)\//.exec(filename)?.[1] ?? "";
    return byModule.has(call) ? call : "";
  };
  for (const line of stdout.split("\n")) {
    if (!line.startsWith("{")) continue;
    const message = JSON.parse(line) as PlanMessage;
    if (message.type === "planned_change" && message.change) {
      const { resource, action } = message.change;
      const name = resource.module ? /^module\.([^.[]+)$/.exec(resource.module)?.[1] : "";
      if (action === "create" && name !== undefined) byModule.get(name)?.planned.add(`${resource.resource_type}.${resource.resource_name}`);
    } else if (message.type === "diagnostic" && message.diagnostic) {
      const d = message.diagnostic;
      const where = d.range ? ` (${d.range.filename.replace(/^m\/[^/]+\//, "")}:${d.range.start.line})` : "";
      byModule.get(moduleOf(d.address, d.range?.filename))?.diagnostics.push(`${d.severity}: ${d.summary}${where}${d.detail ? `\n  ${d.detail}` : ""}`);
    }
  }
  return byModule;
}

interface PlanRun {
  readonly ok: boolean;
  readonly initialized: boolean;
  readonly byModule: Map<string, ModulePlan>;
  /** What went wrong besides the diagnostics (init, the CLI's own stderr, `show`). */
  readonly failure: string;
  readonly plan?: PlanJson;
}

/** Init (if needed), `plan -json` and, with `planJson`, `show -json` of the saved plan, in root module `dir`. */
async function planRoot(dir: string, args: readonly string[], planJson: boolean, modules: readonly string[] = [], initKey?: string): Promise<PlanRun> {
  const data = await dataDirFor(dir, initKey);
  if (!data.ok) return { ok: false, initialized: data.initialized, byModule: new Map(), failure: data.log };
  const saved = path.join(dir, "tfplan");
  const plan = await terraform(
    ["plan", "-input=false", "-lock=false", "-refresh=false", "-no-color", "-json", ...(planJson ? [`-out=${saved}`] : []), ...args],
    dir,
    terraformEnv(data.dataDir),
  );
  const byModule = readPlan(plan.stdout, modules);
  if (plan.code !== 0 || !planJson) return { ok: plan.code === 0, initialized: data.initialized, byModule, failure: plan.code === 0 ? "" : plan.stderr };
  const show = await terraform(["show", "-json", "-no-color", saved], dir, terraformEnv(data.dataDir));
  rmSync(saved, { force: true });
  if (show.code !== 0) return { ok: false, initialized: data.initialized, byModule, failure: `terraform show failed:\n${show.stderr}` };
  return { ok: true, initialized: data.initialized, byModule, failure: "", plan: JSON.parse(show.stdout) as PlanJson };
}

/** The parts of `terraform show -json` this module splits per module call. */
interface PlanJson {
  readonly configuration?: { readonly root_module?: { readonly module_calls?: Record<string, { readonly module?: unknown }> } };
  readonly resource_changes?: readonly { readonly address: string; readonly module_address?: string }[];
}

/**
 * AWS provider processes at once, by default, across every process using the pool. One
 * holds ~450-600 MB (PSS) with its Terraform run ~250 MB more, and a run of all stacks needs
 * only one (./shared-provider.ts), so memory, not cores, sets this: with one, `npm test`
 * peaks ~300 MB lower (PSS) in the same wall time, the Terraform suites taking turns while
 * the other suites use the cores. `TF_PROOF_SLOTS` changes it.
 */
export const PROVIDER_SLOTS = slotsFrom(process.env.TF_PROOF_SLOTS);

function slotsFrom(value: string | undefined): number {
  const slots = Number(value ?? 1);
  if (Number.isInteger(slots) && slots > 0) return slots;
  throw new Error(`TF_PROOF_SLOTS must be a whole number >= 1, not "${value}"`);
}

const elapsedSince = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e6;
const errorText = (err: unknown): string => (err instanceof Error ? (err.stack ?? err.message) : String(err));

/** Init (if needed) and plan one folder as the root module; never throws, a failure is in the result. */
async function proveOne(dir: string, varFiles: readonly string[], planJson = false): Promise<ProofResult> {
  const start = process.hrtime.bigint();
  try {
    const run = await planRoot(dir, varFiles.map((f) => `-var-file=${path.resolve(f)}`), planJson);
    const { planned, diagnostics } = run.byModule.get("") ?? { planned: new Set<string>(), diagnostics: [] };
    const log = [...diagnostics, run.failure].filter(Boolean).join("\n");
    return { dir, ok: run.ok, log, planned: [...planned], initialized: run.initialized, ms: elapsedSince(start), batchSize: 1, plan: run.plan };
  } catch (err) {
    return { dir, ok: false, log: errorText(err), planned: [], initialized: false, ms: elapsedSince(start), batchSize: 1 };
  }
}

/** Terraform's warning for a backend block in a child module: what batching does, not what the folder has. */
const BATCH_ARTIFACT = /^warning: Backend configuration ignored/;

/**
 * Plans every folder in one Terraform run: a root module calling a copy of each
 * folder (`m/<name>`) with its var files' settings as arguments, the folders'
 * provider configurations shared where they can be (./shared-provider.ts). A
 * folder's result is its module's part of the plan. Undefined if the run
 * failed: the caller proves each folder on its own.
 */
async function proveBatch(dirs: readonly string[], varFiles: (dir: string) => readonly string[], planJson: boolean): Promise<ProofResult[] | undefined> {
  const start = process.hrtime.bigint();
  const root = makeTempDir("terraform-proof-"); // removed below, or at exit (a signal, say)
  try {
    const names = moduleNames(dirs);
    const shared = sharedProviders(dirs);
    mkdirSync(path.join(root, "m"));
    const calls = dirs.map((dir, i) => {
      // A copy, not a link: Terraform records a module's real path at init, and `.terraform` is reused by key.
      const copy = path.join(root, "m", names[i]);
      cpSync(dir, copy, { recursive: true, filter: (source) => !path.basename(source).startsWith(".terraform") });
      if (shared.members.has(dir)) shared.configs?.strip(copy);
      const settings = varFiles(dir).map((file) => readFileSync(file, "utf8")).join("\n");
      return `module "${names[i]}" {\n  source = "./m/${names[i]}"\n${settings}\n}\n`;
    });
    writeFileSync(path.join(root, "main.tf"), calls.join("\n"));
    for (const [file, content] of Object.entries(shared.configs?.rootFiles ?? {})) writeFileSync(path.join(root, file), content);
    // init depends on the module calls and each module's terraform block, not on the arguments.
    const initKey = ["batch of copies", ...dirs.map((dir, i) => `${names[i]}\n${initInputs(dir)}`)].join("\n");
    const run = await planRoot(root, [], planJson, names, initKey);
    if (!run.ok) return undefined;
    const ms = elapsedSince(start);
    return dirs.map((dir, i) => {
      const own = run.byModule.get(names[i]) as ModulePlan;
      const log = [...own.diagnostics.filter((d) => !BATCH_ARTIFACT.test(d)), ...(run.byModule.get("")?.diagnostics ?? [])].join("\n");
      const plan = run.plan && modulePart(run.plan, names[i]);
      const sharedProvider = shared.members.has(dir);
      return { dir, ok: true, log, planned: [...own.planned], initialized: run.initialized, ms, batchSize: dirs.length, sharedProvider, plan };
    });
  } finally {
    removeTempDir(root);
  }
}

/** The provider configurations most of `dirs` can share, and which folders share them. */
function sharedProviders(dirs: readonly string[]): { configs?: ProviderConfigs; members: Set<string> } {
  const byKey = new Map<string, { configs: ProviderConfigs; members: Set<string> }>();
  for (const dir of dirs) {
    const configs = providerConfigs(dir);
    if (!configs) continue;
    const group = byKey.get(configs.key) ?? { configs, members: new Set<string>() };
    group.members.add(dir);
    byKey.set(configs.key, group);
  }
  const largest = [...byKey.values()].sort((a, b) => b.members.size - a.members.size)[0];
  return largest && largest.members.size > 1 ? largest : { members: new Set() };
}

/** AWS provider processes a batch of `dirs` holds at once: one shared, plus one per folder keeping its own. */
function providerProcesses(dirs: readonly string[]): number {
  const { members } = sharedProviders(dirs);
  return members.size > 0 ? 1 + dirs.length - members.size : dirs.length;
}

/** Module call names from folder names (`kinesis-ingest` -> `kinesis_ingest`, `kinesis_ingest_2` for the second). */
function moduleNames(dirs: readonly string[]): string[] {
  const used = new Set<string>();
  return dirs.map((dir) => {
    const base = path.basename(path.resolve(dir)).replace(/[^A-Za-z0-9_-]/g, "_").replace(/^[^A-Za-z_]/, "_$&");
    let name = base;
    for (let n = 2; used.has(name); n++) name = `${base}_${n}`;
    used.add(name);
    return name;
  });
}

/** One module call's part of a batch's `show -json`, shaped as if that folder had been planned alone. */
function modulePart(plan: PlanJson, name: string): unknown {
  const prefix = `module.${name}.`;
  return {
    configuration: { root_module: plan.configuration?.root_module?.module_calls?.[name]?.module ?? {} },
    resource_changes: (plan.resource_changes ?? [])
      .filter((c) => c.module_address === `module.${name}`)
      .map(({ module_address: _, ...change }) => ({ ...change, address: change.address.slice(prefix.length) })),
  };
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
 * `weight` of `count` slots shared by every process on this machine (a lock
 * file each, holding the owner's pid; the slot of a dead owner, or a stale
 * one, is taken over). All or none: a run that cannot have all it needs gives
 * back what it took and tries again, so two runs never hold half each.
 */
export async function acquireSlots(count: number, weight = 1): Promise<() => void> {
  mkdirSync(SLOTS, { recursive: true });
  const wanted = Math.min(Math.max(1, weight), count);
  for (;;) {
    const taken: string[] = [];
    for (let i = 0; i < count && taken.length < wanted; i++) {
      const file = path.join(SLOTS, `slot-${i}`);
      try {
        writeFileSync(file, String(process.pid), { flag: "wx" });
        taken.push(file);
      } catch {
        const owner = Number(readFileSafe(file));
        if ((owner > 0 && !alive(owner)) || ageMs(file) > STALE_SLOT_MS) unlinkSafe(file);
      }
    }
    const release = (): void => taken.forEach((file) => rmSync(file, { force: true }));
    if (taken.length === wanted) return release;
    release();
    await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 100));
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

/**
 * Proves every folder: together in one Terraform run, or each on its own (with
 * `batch: false`, for a single folder, or when that run fails), at most
 * `concurrency` provider processes at once. Results in the order of `dirs`.
 */
export async function proveStacks(dirs: readonly string[], options: ProveOptions = {}): Promise<ProofResult[]> {
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? PROVIDER_SLOTS) || 1);
  const varFiles = (dir: string): readonly string[] => options.varFiles?.(dir) ?? [];
  const planJson = options.planJson ?? false;
  if (options.batch !== false && dirs.length > 1) {
    const release = await acquireSlots(concurrency, providerProcesses(dirs));
    let batched: ProofResult[] | undefined;
    try {
      batched = await proveBatch(dirs, varFiles, planJson);
    } catch {
      batched = undefined; // proven one by one below, where the error is reported against its folder
    } finally {
      release();
    }
    if (batched) return batched;
  }
  return Promise.all(
    dirs.map(async (dir) => {
      const release = await acquireSlots(concurrency);
      try {
        return await proveOne(dir, varFiles(dir), planJson);
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
    console.error("usage: bash scripts/tf-plan.sh <terraform folder> [var-file...]   (a stack synthesized with OFFLINE=1)");
    process.exit(2);
  }
  if (!terraformAvailable()) {
    console.error("terraform CLI not found: cannot plan. Install Terraform >= 1.10.");
    process.exit(1);
  }
  const [result] = await proveStacks([path.resolve(dir)], { varFiles: () => varFiles });
  if (result.log) console.log(result.log);
  if (!result.ok && /hashicorp\/archive/.test(result.log)) {
    console.error("hint: this stack packages its code with hashicorp/archive, which the offline mirror lacks: synthesize with OFFLINE=1 (asset packaging).");
  }
  console.log(`${result.ok ? "ok  " : "FAIL"} ${dir}: ${result.planned.length} resources to create (${(result.ms / 1000).toFixed(1)} s${result.initialized ? ", with init" : ""})`);
  process.exit(result.ok ? 0 : 1);
}

if (require.main === module) void main();
