/**
 * Every stack proven by Terraform itself, not only by our assertions:
 * `terraform init` (when its providers or backend changed) and `plan`, which
 * validates first, on the offline synth the test run shares (supplied lookups,
 * asset packaging, local provider mirror, fake credentials), and on each stack
 * with its typed options flipped: all in one Terraform run, each stack a module
 * of it (scripts/terraform/prove.ts).
 * Without a `terraform` CLI this step is skipped, loudly.
 */
import { STACK_IDS } from "../main";
import { rmSync } from "node:fs";
import { OPTIONS_ON, PlanResult, planTogether, synthOptionsOn, terraformAvailable } from "../scripts/terraform-check";
import { skipLoudly } from "./support/skips";
import { sharedSynthDir } from "./support/synth";

const available = terraformAvailable();
if (!available) skipLoudly("terraform validate/plan of every stack (terraform.test.ts): terraform CLI (>= 1.10) not found");

(available ? describe : describe.skip)("terraform validate and plan (offline)", () => {
  const variants = OPTIONS_ON;
  let defaults: PlanResult[] = [];
  let optionsOn: PlanResult[] = [];
  let optionsOnDir = "";

  beforeAll(async () => {
    optionsOnDir = synthOptionsOn();
    // Every stack with its defaults and with its options on, in one Terraform run (a failure is re-planned alone).
    [defaults, optionsOn] = await planTogether([
      { outdir: sharedSynthDir("offline"), stacks: STACK_IDS },
      { outdir: optionsOnDir, stacks: variants },
    ]);
  }, 600_000);
  afterAll(() => rmSync(optionsOnDir, { recursive: true, force: true }));

  test.each(STACK_IDS)("%s validates and plans", (stack) => {
    const result = defaults.find((r) => r.stack === stack);
    expect(result?.log).toBeDefined();
    if (!result?.ok) throw new Error(`terraform failed for ${stack}:\n${result?.log}`);
  });

  test.each(STACK_IDS)("%s: every synthesized resource is in the plan", (stack) => {
    const result = defaults.find((r) => r.stack === stack) as PlanResult;
    expect(result.synthesized.length).toBeGreaterThan(0);
    expect(result.synthesized.filter((address) => !result.planned.includes(address))).toEqual([]);
  });

  /** Each stack with its typed options flipped (IAM callers, web ACLs, no signature check). */
  test.each(variants)("%s (options on) validates and plans every synthesized resource", (stack) => {
    const result = optionsOn.find((r) => r.stack === stack) as PlanResult;
    if (!result.ok) throw new Error(`terraform failed for ${stack} (options on):\n${result.log}`);
    expect(result.synthesized.length).toBeGreaterThan(0);
    expect(result.synthesized.filter((address) => !result.planned.includes(address))).toEqual([]);
  });

  test("a stack's warnings are its own: no other stack's, none made by planning them together", () => {
    // webhook-proxy's reserved concurrency check warns by design (its README); no other stack warns.
    const warned = [...defaults, ...optionsOn].filter((r) => /^warning:/m.test(r.log)).map((r) => r.stack);
    expect(new Set(warned)).toEqual(new Set(["webhook-proxy"]));
    expect([...defaults, ...optionsOn].map((r) => r.log).join("\n")).not.toMatch(/Backend configuration ignored/);
  });
});
