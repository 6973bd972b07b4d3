/**
 * What the pattern suites share: a user's own stack (a plain TerraformStack with
 * an AwsProvider, nothing else of this project), and the physical names a
 * synthesized stack gives AWS, to show two instances never collide.
 */
import { TerraformStack, Testing } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import type { StackJson } from "./synth";

export function userStack(id = "mine"): TerraformStack {
  const stack = new TerraformStack(Testing.app(), id);
  new AwsProvider(stack, "aws", { region: "eu-west-1" });
  return stack;
}

/**
 * Every resource's physical name (`name`, `function_name`, `alarm_name`, `bucket`) as
 * `<type>:<name>`, names made of tokens aside; `within`: types named only inside their
 * parent (an API's models and validators), which may repeat across instances.
 */
export function physicalNames(json: StackJson, within: ReadonlySet<string> = new Set()): string[] {
  return Object.entries(json.resource)
    .filter(([type]) => !within.has(type))
    .flatMap(([type, blocks]) =>
      Object.values(blocks)
        .map((block) => block.name ?? block.function_name ?? block.alarm_name ?? block.bucket)
        .filter((name): name is string => typeof name === "string" && !name.includes("${"))
        .map((name) => `${type}:${name}`),
    );
}

/** What a pattern alone adds to a user's stack: no provider but the user's, no backend, no variable, no output. */
export function expectSelfContained(json: StackJson): void {
  const top = json as unknown as { provider?: Record<string, unknown[]>; terraform?: Record<string, unknown> };
  expect(Object.keys(json.variable)).toEqual([]);
  expect(Object.keys(json.output)).toEqual([]);
  expect(Object.keys(top.provider ?? {})).toEqual(["aws"]);
  expect(top.provider?.aws).toHaveLength(1);
  expect(top.terraform?.backend).toBeUndefined();
}
