/** The consumer's own test, with cdktf's matchers, as a user of the package writes one. */
import { TerraformElement, TerraformOutput, TerraformResource, TerraformVariable, Testing } from "cdktf";
import "cdktf/lib/testing/adapters/jest"; // the matchers' types (setupJest below installs them)
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { ConsumerStack } from "./main";

Testing.setupJest();

describe("the consumer's stack", () => {
  const stack = new ConsumerStack(Testing.app(), "consumer");
  const synth = Testing.synth(stack);
  const json = JSON.parse(synth) as Record<string, Record<string, Record<string, unknown>> | undefined>;

  test("a construct from the package synthesizes as documented", () => {
    expect(synth).toHaveResourceWithProperties(LambdaFunction, { function_name: "orders", runtime: "nodejs22.x", handler: "index.handler" });
  });

  test("no element of one instance took another's address: every resource, variable and output of the tree is in the JSON", () => {
    const elements = stack.node.findAll().filter((c): c is TerraformElement => c instanceof TerraformElement);
    const count = (kind: new (...args: never[]) => TerraformElement) => elements.filter((e) => e instanceof kind).length;
    const resources = Object.values(json.resource ?? {}).reduce((n, byName) => n + Object.keys(byName).length, 0);
    expect(resources).toBe(count(TerraformResource));
    expect(Object.keys(json.variable ?? {})).toHaveLength(count(TerraformVariable));
    expect(Object.keys(json.output ?? {})).toHaveLength(count(TerraformOutput));
  });
});
