/**
 * Every stack proven by Terraform itself, not only by our assertions:
 * `terraform init` (when its providers or backend changed) and `plan`, which
 * validates first, on the offline synth the test run shares (supplied lookups,
 * asset packaging, local provider mirror, fake credentials), every stack at once
 * up to the number of cores (scripts/terraform/prove.ts).
 * Without a `terraform` CLI this step is skipped, loudly.
 */
import { STACK_IDS } from "../main";
import { OPTIONS_ON, planAll, PlanResult, synthOptionsOn, terraformAvailable } from "../scripts/terraform-check";
import { sharedSynthDir } from "./support/synth";

const available = terraformAvailable();
if (!available) {
  console.warn(
    "\n*** terraform CLI not found: SKIPPING terraform validate/plan of every stack. ***\n" +
      "*** Install Terraform >= 1.10 to run this proof.                                  ***\n",
  );
}

(available ? describe : describe.skip)("terraform validate and plan (offline)", () => {
  let results: PlanResult[] = [];

  beforeAll(async () => {
    results = await planAll(sharedSynthDir("offline"), STACK_IDS);
  }, 600_000);

  test.each(STACK_IDS)("%s validates and plans", (stack) => {
    const result = results.find((r) => r.stack === stack);
    expect(result?.log).toBeDefined();
    if (!result?.ok) throw new Error(`terraform failed for ${stack}:\n${result?.log}`);
  });

  test.each(STACK_IDS)("%s: every synthesized resource is in the plan", (stack) => {
    const result = results.find((r) => r.stack === stack) as PlanResult;
    expect(result.synthesized.length).toBeGreaterThan(0);
    expect(result.synthesized.filter((address) => !result.planned.includes(address))).toEqual([]);
  });
});

/** The same proof for each stack with its typed options flipped (IAM callers, web ACLs, no signature check). */
(available ? describe : describe.skip)("terraform validate and plan (offline), options on", () => {
  const stacks = Object.keys(OPTIONS_ON);
  let results: PlanResult[] = [];

  beforeAll(async () => {
    results = await planAll(synthOptionsOn(), stacks);
  }, 600_000);

  test.each(stacks)("%s (options on) validates and plans every synthesized resource", (stack) => {
    const result = results.find((r) => r.stack === stack) as PlanResult;
    if (!result.ok) throw new Error(`terraform failed for ${stack} (options on):\n${result.log}`);
    expect(result.synthesized.length).toBeGreaterThan(0);
    expect(result.synthesized.filter((address) => !result.planned.includes(address))).toEqual([]);
  });
});
