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
 */
import "../../startup"; // as main.ts: before cdktf loads (a synth runs in this process)
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { loadEnvironmentOrExit } from "../../config";
import { exitOnSignals, makeTempDir, removeTempDir } from "../cli";
import { buildApp } from "../../main";
import { loadProviderShapes } from "./schema";
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

const USAGE = "usage: npm run synth:hcl [-- <outdir>]   (default cdktf.out.hcl; writes <outdir>/stacks/<id>/cdk.tf)";

/** Why `dir` may not receive an export (it holds more than a previous export's `stacks/`), or undefined. */
export function refusedOutdir(dir: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  const others = readdirSync(dir).filter((entry) => entry !== "stacks");
  if (others.length === 0) return undefined;
  return `${dir} holds more than a previous export (${others.slice(0, 3).join(", ")}${others.length > 3 ? ", ..." : ""}); give an empty or new folder`;
}

function main(): void {
  const args = process.argv.slice(2);
  if (args.includes("--help") || args.includes("-h")) {
    console.log(USAGE);
    return;
  }
  if (args.length > 1 || args.some((arg) => arg.startsWith("-"))) {
    console.error(`synth:hcl: unexpected arguments: ${args.join(" ")}\n${USAGE}`);
    process.exit(2);
  }
  const hclOutdir = path.resolve(args[0] ?? "cdktf.out.hcl");
  const refused = refusedOutdir(hclOutdir);
  if (refused) {
    console.error(`synth:hcl: ${refused}\n${USAGE}`);
    process.exit(2);
  }
  const env = loadEnvironmentOrExit();
  exitOnSignals("synth:hcl"); // Ctrl-C removes the temporary synth too
  const jsonOutdir = makeTempDir("synth-hcl-");
  try {
    buildApp(env, jsonOutdir).synth();
    for (const id of exportHcl(jsonOutdir, hclOutdir)) {
      console.log(path.relative(process.cwd(), path.join(hclOutdir, "stacks", id, "cdk.tf")));
    }
  } catch (err) {
    // Terraform has printed its own error above (init, schema or fmt); say what to do, not where in Node.
    const hint =
      env.lambdaPackaging === "archive"
        ? " Offline, export with OFFLINE=1 or LAMBDA_PACKAGING=asset: archive packaging needs the hashicorp/archive provider."
        : "";
    console.error(`synth:hcl: ${(err as Error).message.split("\n")[0]}.${hint}`);
    process.exitCode = 1;
  } finally {
    removeTempDir(jsonOutdir);
  }
}

if (require.main === module) main();
