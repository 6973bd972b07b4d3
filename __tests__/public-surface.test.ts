/**
 * The stacks' public surface reads the same everywhere: every output is described
 * (as terraform-aws-modules), and the shared parts have one name in every stack.
 */
import { STACK_IDS } from "../main";
import { readSynthesizedStack } from "./support/synth";

interface Outputs {
  output?: Record<string, { description?: string }>;
}

describe.each(STACK_IDS)("%s outputs", (id) => {
  const outputs = readSynthesizedStack<Outputs>("app", id).output ?? {};

  test("every output has a description", () => {
    const undescribed = Object.entries(outputs)
      .filter(([, output]) => !output.description?.trim())
      .map(([name]) => name);
    expect(undescribed).toEqual([]);
  });

  test("the stack's alarm topic is an output, and no output keeps a retired name", () => {
    expect(outputs.alarm_topic_arn).toBeDefined();
    for (const retired of ["api_endpoint", "invoke_url", "api_url", "dynamodb_table_name", "kinesis_stream_arn"]) {
      expect(outputs[retired]).toBeUndefined();
    }
  });
});
