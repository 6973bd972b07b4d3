/**
 * The Terraform CLI as the proof (./prove.ts) runs it: offline (the local mirror,
 * `TF_PLUGIN_MIRROR`, default /opt/tf-plugins, as the only source of hashicorp
 * providers and the plugin cache), no prompts, fake credentials; and `terraform
 * init` done once per set of inputs, its `.terraform` kept in
 * node_modules/.cache/terraform/data/<key> and reused by every later run.
 */
import { execFile, execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { atExit } from "../../tools/cli";

const ROOT = path.resolve(__dirname, "..", "..");
/** Everything the proof keeps between runs; never committed (node_modules is ignored). */
export const TERRAFORM_CACHE = path.join(ROOT, "node_modules", ".cache", "terraform");
const MIRROR = process.env.TF_PLUGIN_MIRROR ?? "/opt/tf-plugins";

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

export function sha256(data: string | Buffer): string {
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
export function initInputs(dir: string): string {
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
export function terraformEnv(dataDir: string): NodeJS.ProcessEnv {
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

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the Terraform CLI; a run still going when this process exits (a signal, say) is stopped with it. */
export function terraform(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Run> {
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
export async function dataDirFor(dir: string, inputs = initInputs(dir)): Promise<{ dataDir: string; initialized: boolean; log: string; ok: boolean }> {
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

