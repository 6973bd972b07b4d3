/**
 * The way out of archived CDKTF: every stack as plain Terraform HCL, in
 * `cdktf.out.hcl/stacks/<id>/cdk.tf` plus its assets. From there a stack is an ordinary
 * Terraform root module (`terraform init && terraform plan` in its folder, no Node.js).
 *
 *   npm run synth:hcl [-- <outdir>]     # default cdktf.out.hcl; honours APP_ENV, OFFLINE, ...
 *
 * The app is synthesized to Terraform JSON as usual, then each stack's JSON is written again in
 * native syntax by `tools/hcl/writer.ts`, with the provider schemas from Terraform itself
 * (so `terraform` must be on PATH, and the providers installable: registry or local mirror).
 * Offline on the defaults, where hashicorp/archive cannot be installed, the export uses asset
 * packaging instead and says so (`exportWithFallback`).
 */
import "../../startup"; // as main.ts: before cdktf loads (a synth runs in this process)
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import type { DeploymentConfig } from "../../blocks/deployment";
import { loadDeployment } from "../../config";
import { makeTempDir, removeTempDir, runMain, UsageError } from "../cli";
import { buildApp } from "../../main";
import { loadProviderShapes, ProviderInstallError } from "./schema";
import { Json, jsonToHcl } from "./writer";

type StackJson = { [key: string]: Json } & { terraform?: { required_providers?: Record<string, Json> } };

/** Left in a stack folder by Terraform runs; not part of the stack. */
const NOT_COPIED = new Set(["cdk.tf.json", ".terraform", ".terraform.lock.hcl", "init.log", "plan.log", "plan.json", "tfplan"]);

/**
 * Writes `<hclOutdir>/stacks/<id>/cdk.tf` (with the stack's assets) for every stack in
 * `<jsonOutdir>/stacks/`. Returns the stack ids.
 */
export function exportHcl(jsonOutdir: string, hclOutdir: string): string[] {
  const stacksDir = path.join(jsonOutdir, "stacks");
  const stacks = readdirSync(stacksDir).filter((id) => existsSync(path.join(stacksDir, id, "cdk.tf.json")));
  const documents = new Map<string, StackJson>(
    stacks.map((id) => [id, JSON.parse(readFileSync(path.join(stacksDir, id, "cdk.tf.json"), "utf8")) as StackJson]),
  );
  const requiredProviders = Object.assign({}, ...[...documents.values()].map((d) => d.terraform?.required_providers ?? {}));
  const shapes = loadProviderShapes(requiredProviders);

  // Only a previous export is replaced: a folder holding anything but `stacks/` is refused (see main).
  rmSync(path.join(hclOutdir, "stacks"), { recursive: true, force: true });
  for (const [id, document] of documents) {
    const target = path.join(hclOutdir, "stacks", id);
    cpSync(path.join(stacksDir, id), target, {
      recursive: true,
      filter: (source) => !NOT_COPIED.has(path.basename(source)),
    });
    writeFileSync(path.join(target, "cdk.tf"), jsonToHcl(document, shapes));
  }
  // Canonical layout (aligned `=`, indentation), as a person would commit it.
  execFileSync("terraform", ["fmt", "-recursive", "-list=false", hclOutdir], { stdio: ["ignore", "ignore", "pipe"] });
  return stacks;
}

/** Why `dir` may not receive an export (it holds more than a previous export's `stacks/`), or undefined. */
export function refusedOutdir(dir: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  const others = readdirSync(dir).filter((entry) => entry !== "stacks");
  if (others.length === 0) return undefined;
  return `${dir} holds more than a previous export (${others.slice(0, 3).join(", ")}${others.length > 3 ? ", ..." : ""}); give an empty or new folder`;
}

const USAGE = `usage: npm run synth:hcl [-- <outdir>]
  exports every stack as plain Terraform HCL: <outdir>/stacks/<id>/cdk.tf (default cdktf.out.hcl)
  --help, -h   this text`;

/** Synthesizes the app with `deployment` into a temporary folder and exports it to `hclOutdir`; the stack ids. */
function synthAndExport(deployment: DeploymentConfig, hclOutdir: string): string[] {
  const jsonOutdir = makeTempDir("synth-hcl-");
  try {
    buildApp(deployment, jsonOutdir).synth();
    return exportHcl(jsonOutdir, hclOutdir);
  } finally {
    removeTempDir(jsonOutdir);
  }
}

/** Whether `err` is hashicorp/archive missing while the packaging is the defaults' (neither LAMBDA_PACKAGING nor OFFLINE in `vars`). */
export function fallbackApplies(err: unknown, deployment: DeploymentConfig, vars: NodeJS.ProcessEnv): boolean {
  const defaultPackaging = vars.LAMBDA_PACKAGING === undefined && !deployment.offline && deployment.lambdaPackaging === "archive";
  return defaultPackaging && err instanceof ProviderInstallError && err.providers.includes("hashicorp/archive");
}

/**
 * Exports with `deployment`; when hashicorp/archive cannot be installed (offline, and not in the
 * mirror) and the packaging is the default's (no LAMBDA_PACKAGING, no OFFLINE in `vars`), exports
 * with asset packaging instead and says so: each bundle a zip beside cdk.tf, no provider to
 * install. A packaging asked for explicitly is kept, and its failure explained.
 */
export function exportWithFallback(deployment: DeploymentConfig, hclOutdir: string, vars: NodeJS.ProcessEnv = process.env, note: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): string[] {
  try {
    return synthAndExport(deployment, hclOutdir);
  } catch (err) {
    if (!fallbackApplies(err, deployment, vars)) throw err;
    note(
      "synth:hcl: hashicorp/archive cannot be installed here (offline, and not in the provider mirror): exported with " +
        "LAMBDA_PACKAGING=asset instead (each function's bundle a zip beside cdk.tf); set LAMBDA_PACKAGING=archive to insist on archive_file",
    );
    return synthAndExport({ ...deployment, lambdaPackaging: "asset" }, hclOutdir);
  }
}

async function main(argv: readonly string[]): Promise<number> {
  const options = argv.filter((arg) => arg.startsWith("-"));
  if (options.length > 0) throw new UsageError(`unknown option ${options[0]}`);
  if (argv.length > 1) throw new UsageError(`one output folder at most, got ${argv.length}: ${argv.join(" ")}`);
  const hclOutdir = path.resolve(argv[0] ?? "cdktf.out.hcl");
  const refused = refusedOutdir(hclOutdir);
  if (refused) throw new UsageError(refused);
  const deployment = loadDeployment(); // a bad configuration: one `configuration:` line, exit 2, as synth
  try {
    execFileSync("terraform", ["version"], { stdio: "ignore", env: { ...process.env, CHECKPOINT_DISABLE: "1" } });
  } catch {
    process.stderr.write("synth:hcl: terraform CLI not found on PATH: the export reads the providers' schemas with it (Terraform >= 1.10)\n");
    return 1;
  }
  try {
    for (const id of exportWithFallback(deployment, hclOutdir)) console.log(path.relative(process.cwd(), path.join(hclOutdir, "stacks", id, "cdk.tf")));
    return 0;
  } catch (err) {
    if (!(err instanceof ProviderInstallError)) throw err;
    // Terraform's own words, then what to do (the packaging was asked for, or another provider is missing).
    process.stderr.write(err.log);
    const hint = err.providers.includes("hashicorp/archive")
      ? " Offline, export with OFFLINE=1 or LAMBDA_PACKAGING=asset: archive packaging needs the hashicorp/archive provider."
      : " Offline, put the providers in the mirror (TF_PLUGIN_MIRROR, default /opt/tf-plugins).";
    process.stderr.write(`synth:hcl: ${err.message}.${hint}\n`);
    return 1;
  }
}

if (require.main === module) runMain("synth:hcl", USAGE, main, { exitOnSignals: true }); // Ctrl-C removes the temporary synth too
