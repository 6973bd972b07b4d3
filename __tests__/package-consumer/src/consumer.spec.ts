/** The consumer's own test, with cdktf's matchers, as a user of the package writes one. */
import { TerraformElement, TerraformOutput, TerraformResource, TerraformVariable, Testing } from "cdktf";
import "cdktf/lib/testing/adapters/jest"; // the matchers' types (setupJest below installs them)
import { KinesisStream } from "@cdktf/provider-aws/lib/kinesis-stream";
import { LambdaEventSourceMapping } from "@cdktf/provider-aws/lib/lambda-event-source-mapping";
import { ConsumerStack } from "./main";

Testing.setupJest();

describe("the consumer's stack", () => {
  const stack = new ConsumerStack(Testing.app(), "consumer");
  const synth = Testing.synth(stack);
  const json = JSON.parse(synth) as Record<string, Record<string, Record<string, unknown>> | undefined>;

  test("each KinesisIngest has its own stream, named from its path, and the batch size it was given", () => {
    expect(synth).toHaveResourceWithProperties(KinesisStream, { name: `${stack.orders.namePrefix}-example-stream` });
    expect(synth).toHaveResourceWithProperties(KinesisStream, { name: `${stack.clicks.namePrefix}-example-stream` });
    expect(stack.orders.namePrefix).not.toBe(stack.clicks.namePrefix);
    expect(synth).toHaveResourceWithProperties(LambdaEventSourceMapping, { batch_size: 500 });
  });

  test("no element of one instance took another's address: every resource, variable and output of the tree is in the JSON", () => {
    const elements = stack.node.findAll().filter((c): c is TerraformElement => c instanceof TerraformElement);
    const count = (kind: abstract new (...args: never[]) => TerraformElement) => elements.filter((e) => e instanceof kind).length;
    const resources = Object.values(json.resource ?? {}).reduce((n, byName) => n + Object.keys(byName).length, 0);
    expect(resources).toBe(count(TerraformResource));
    expect(Object.keys(json.variable ?? {})).toHaveLength(count(TerraformVariable));
    expect(Object.keys(json.output ?? {})).toHaveLength(count(TerraformOutput));
  });
});
