/**
 * Where the default local state goes (docs/operations.md "State"): `terraform.<id>.tfstate` in the project
 * root, whether Terraform runs in `cdktf.out/stacks/<id>` (`cdktf deploy` and a hand-run
 * `terraform` alike) or in the HCL export's `cdktf.out.hcl/stacks/<id>`; a copy of a stack folder
 * elsewhere keeps its state beside it with `terraform init -backend-config=path=...`.
 * Pinned with Terraform itself: a real apply of a provider-less resource under the stack's backend.
 */
import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { Testing } from "cdktf";
import { defaultDeployment } from "../config";
import { ServerlessStack } from "../blocks/serverless-stack";
import { STACK_IDS } from "../main";
import { terraformAvailable } from "../scripts/terraform-check";
import { skipLoudly } from "./support/skips";
import { synthesize } from "./support/synth";

const run = promisify(execFile);

function localBackendOf(id: string): unknown {
  return synthesize(new ServerlessStack(Testing.app(), id, { deployment: defaultDeployment })).json.terraform.backend;
}

test.each(STACK_IDS)("%s: local state is terraform.<id>.tfstate three folders up (the project root)", (id) => {
  expect(localBackendOf(id)).toEqual({ local: { path: `../../../terraform.${id}.tfstate` } });
});

if (!terraformAvailable()) skipLoudly("where Terraform writes the state, real applies (state-location.test.ts): terraform CLI not found");
(terraformAvailable() ? describe : describe.skip)("where Terraform writes the state (apply, no provider needed)", () => {
  const root = mkdtempSync(path.join(tmpdir(), "state-location-"));
  const config = JSON.stringify({
    terraform: { backend: { local: { path: "../../../terraform.demo.tfstate" } } },
    resource: { terraform_data: { marker: { input: "state-location" } } },
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  async function apply(dir: string, ...initArgs: string[]): Promise<void> {
    const env = { ...process.env, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1" };
    await run("terraform", ["init", "-input=false", "-no-color", ...initArgs], { cwd: dir, env });
    await run("terraform", ["apply", "-auto-approve", "-input=false", "-no-color"], { cwd: dir, env });
  }

  function stackFolder(...parts: string[]): string {
    const dir = path.join(root, ...parts);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, "main.tf.json"), config);
    return dir;
  }

  test("cdktf deploy / terraform in cdktf.out/stacks/<id>, and the HCL export: one state file in the project root", async () => {
    const project = path.join(root, "project");
    await apply(stackFolder("project", "cdktf.out", "stacks", "demo"));
    expect(existsSync(path.join(project, "terraform.demo.tfstate"))).toBe(true);
    // The export's folder sits at the same depth: it takes over the same state (the way out of CDKTF).
    await apply(stackFolder("project", "cdktf.out.hcl", "stacks", "demo"));
    expect(existsSync(path.join(project, "cdktf.out.hcl", "stacks", "demo", "terraform.demo.tfstate"))).toBe(false);
    expect(existsSync(path.join(project, "terraform.demo.tfstate"))).toBe(true);
  }, 60_000);

  test("a copy elsewhere: -backend-config=path keeps the state beside the copy, not three folders above it", async () => {
    const copy = path.join(root, "elsewhere", "demo");
    cpSync(stackFolder("source", "cdktf.out", "stacks", "demo"), copy, { recursive: true });
    await apply(copy, "-backend-config=path=terraform.demo.tfstate");
    expect(existsSync(path.join(copy, "terraform.demo.tfstate"))).toBe(true);
    expect(existsSync(path.join(root, "..", "terraform.demo.tfstate"))).toBe(false);
  }, 60_000);
});
