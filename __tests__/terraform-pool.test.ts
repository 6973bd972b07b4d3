/**
 * The Terraform pool (scripts/terraform/prove.ts) plans several folders in one Terraform run,
 * each folder a module of a root made for the run. What a folder is told must still be about
 * that folder alone: its own planned resources, its own warnings, its var files' values, and a
 * failure reported against the folder that has it. Shown on small provider-less folders
 * (`terraform_data`, variables, `check` blocks), so no AWS provider starts. Which provider
 * configurations a run may share is shown on JSON and HCL stack files (no Terraform needed).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { proveStacks, terraformAvailable } from "../scripts/terraform/prove";
import { providerConfigs } from "../scripts/terraform/shared-provider";
import { skipLoudly } from "./support/skips";

const available = terraformAvailable();
if (!available) skipLoudly("the Terraform pool tests (terraform-pool.test.ts): terraform CLI not found");

(available ? describe : describe.skip)("one Terraform run for several folders", () => {
  const work = mkdtempSync(path.join(tmpdir(), "terraform-pool-"));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  /** A folder holding `main.tf.json` (and a var file, if given); returns its path. */
  const folder = (name: string, config: object, varFile?: string): string => {
    const dir = path.join(work, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, "main.tf.json"), JSON.stringify(config));
    if (varFile !== undefined) writeFileSync(path.join(dir, "example.tfvars"), varFile);
    return dir;
  };
  const varFiles = (dir: string): string[] => (dir.endsWith("needs-vars") ? [path.join(dir, "example.tfvars")] : []);

  const needsVars = folder(
    "needs-vars",
    {
      variable: { size: { type: "number" }, label: { type: "string" } },
      resource: { terraform_data: { sized: { input: "${var.label}-${var.size}" } } },
      check: { small: { assert: [{ condition: "${var.size < 3}", error_message: "size is not small" }] } },
    },
    'size  = 5 # a comment, as example.tfvars files have\nlabel = "five"\n',
  );
  const plain = folder("plain", { resource: { terraform_data: { a: { input: "a" }, b: { input: "b" } } } });

  test("each folder gets its own planned resources and its own warnings; var files are its arguments", async () => {
    const [first, second] = await proveStacks([needsVars, plain], { varFiles });
    expect([first.ok, second.ok]).toEqual([true, true]);
    expect([first.batchSize, second.batchSize]).toEqual([2, 2]);
    expect(first.planned).toEqual(["terraform_data.sized"]);
    expect([...second.planned].sort()).toEqual(["terraform_data.a", "terraform_data.b"]);
    // The check fails with size = 5 from the var file: a warning of that folder only, naming its file.
    expect(first.log).toMatch(/^warning: Check block assertion failed \(main\.tf\.json:\d+\)/m);
    expect(second.log).toBe("");
  }, 120_000);

  test("the saved plan is split per folder, shaped as if that folder had been planned alone", async () => {
    const [first] = await proveStacks([needsVars, plain], { varFiles, planJson: true });
    const plan = first.plan as {
      configuration: { root_module: { variables: Record<string, unknown> } };
      resource_changes: { address: string; change: { after: { input: string } } }[];
    };
    expect(Object.keys(plan.configuration.root_module.variables).sort()).toEqual(["label", "size"]);
    expect(plan.resource_changes.map((c) => [c.address, c.change.after.input])).toEqual([["terraform_data.sized", "five-5"]]);
  }, 120_000);

  test("a folder that fails is proven again alone: the failure is its own, the others still pass", async () => {
    const broken = folder("broken", { output: { x: { value: "${var.undeclared}" } } });
    const results = await proveStacks([plain, broken], { varFiles });
    const [good, bad] = results;
    expect(results.map((r) => r.batchSize)).toEqual([1, 1]);
    expect(good.ok).toBe(true);
    expect(good.log).toBe("");
    expect(bad.ok).toBe(false);
    expect(bad.log).toMatch(/Reference to undeclared input variable/);
  }, 120_000);

  test("with batch: false every folder is its own run", async () => {
    const results = await proveStacks([needsVars, plain], { varFiles, batch: false });
    expect(results.map((r) => [r.ok, r.batchSize])).toEqual([
      [true, 1],
      [true, 1],
    ]);
    expect(results[0].log).toMatch(/Check block assertion failed/);
  }, 120_000);
});

describe("provider configurations one run may share", () => {
  const work = mkdtempSync(path.join(tmpdir(), "shared-provider-"));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const aws = (stack: string, extra: object = {}) => ({
    default_tags: [{ tags: { environment: "dev", stack } }],
    region: "ap-northeast-1",
    skip_credentials_validation: true,
    ...extra,
  });
  const jsonStack = (name: string, provider: object): string => {
    const dir = path.join(work, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, "cdk.tf.json"), JSON.stringify({ provider, resource: { aws_sqs_queue: { q: { name } } } }));
    return dir;
  };
  const hclStack = (name: string, stack: string, region = "ap-northeast-1"): string => {
    const dir = path.join(work, name);
    mkdirSync(dir, { recursive: true });
    const provider = `provider "aws" {\n  default_tags {\n    tags = {\n      environment = "dev"\n      stack       = "${stack}"\n    }\n  }\n  region = "${region}"\n}\n`;
    writeFileSync(path.join(dir, "cdk.tf"), `${provider}\nresource "aws_sqs_queue" "q" {\n  name = "${name}"\n}\n`);
    return dir;
  };

  test("stacks that differ only in default tag values share; a different region or an alias does not", () => {
    const a = providerConfigs(jsonStack("a", { aws: [aws("a")] }));
    const b = providerConfigs(jsonStack("b", { aws: [aws("b")] }));
    const otherRegion = providerConfigs(jsonStack("c", { aws: [aws("c", { region: "us-east-1" })] }));
    expect(a?.key).toBe(b?.key);
    expect(otherRegion?.key).not.toBe(a?.key);
    expect(providerConfigs(jsonStack("d", { aws: [aws("d"), { ...aws("d"), alias: "east" }] }))).toBeUndefined();
    expect(providerConfigs(jsonStack("e", { aws: [{ ...aws("e"), alias: "east" }] }))).toBeUndefined();
  });

  test("JSON: the root gets the configuration as it was; the copy keeps everything else", () => {
    const dir = jsonStack("f", { aws: [aws("f")] });
    const configs = providerConfigs(dir);
    const root = JSON.parse(configs?.rootFiles["providers.tf.json"] ?? "{}") as { provider: unknown };
    expect(root.provider).toEqual({ aws: [aws("f")] });
    configs?.strip(dir);
    expect(JSON.parse(readFileSync(path.join(dir, "cdk.tf.json"), "utf8"))).toEqual({ resource: { aws_sqs_queue: { q: { name: "f" } } } });
  });

  test("HCL (the export): the same rule, and the block moves out whole", () => {
    const g = providerConfigs(hclStack("g", "g"));
    const h = providerConfigs(hclStack("h", "h"));
    expect(g?.key).toBe(h?.key);
    expect(providerConfigs(hclStack("i", "i", "us-east-1"))?.key).not.toBe(g?.key);
    expect(g?.rootFiles["providers.tf"]).toMatch(/^provider "aws" \{[\s\S]*stack {7}= "g"[\s\S]*^\}/m);
    const dir = path.join(work, "g");
    g?.strip(dir);
    const left = readFileSync(path.join(dir, "cdk.tf"), "utf8");
    expect(left).not.toContain("provider");
    expect(left).toContain('resource "aws_sqs_queue" "q"');
  });
});
