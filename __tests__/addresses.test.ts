/**
 * Addresses are contracts: no recorded Terraform address of any stack may
 * disappear unless a `moved` block carries it to an address that exists
 * (the offline Terraform proof then checks that Terraform accepts the move).
 */
import * as path from "node:path";
import { STACK_IDS } from "../main";
import { AddressedStack, addressDrift, readRecorded } from "../scripts/addresses";
import { readSynthesizedStack } from "./support/synth";

const root = path.resolve(__dirname, "..");

describe("recorded Terraform addresses", () => {
  const stacks = new Map<string, AddressedStack>();

  // The run's shared synth (support/global-setup.ts): the configuration `npm run addresses:record` synthesizes.
  beforeAll(() => {
    for (const id of STACK_IDS) stacks.set(id, readSynthesizedStack<AddressedStack>("app", id));
  });

  test.each(STACK_IDS)("%s: no recorded address lost", (id) => {
    const drift = addressDrift(readRecorded(root, id), stacks.get(id) as AddressedStack);
    if (drift.lost.length > 0) {
      throw new Error(
        `${id}: these live resources would be destroyed: add a moved block (moveTo/moveFromId) or restore the construct id; ` +
          `if the resource is meant to go, re-record with \`npm run addresses:record\` so the removal shows in review:\n  ` +
          drift.lost.join("\n  "),
      );
    }
    expect(drift.lost).toEqual([]);
  });

  test.each(STACK_IDS)("%s: every address is recorded", (id) => {
    const drift = addressDrift(readRecorded(root, id), stacks.get(id) as AddressedStack);
    if (drift.unrecorded.length > 0) {
      throw new Error(
        `${id}: new addresses, not recorded yet; review them, then run \`npm run addresses:record\` and commit:\n  ` +
          drift.unrecorded.join("\n  "),
      );
    }
    expect(drift.unrecorded).toEqual([]);
  });
});

describe("the address guard itself", () => {
  const recorded = ["aws_sqs_queue.queue_ABC", "aws_sqs_queue.dlq_DEF"];

  test("a renamed construct id without a moved block is reported as lost", () => {
    const renamed: AddressedStack = { resource: { aws_sqs_queue: { queue_XYZ: {}, dlq_DEF: {} } } };
    const drift = addressDrift(recorded, renamed);
    expect(drift.lost).toEqual(["aws_sqs_queue.queue_ABC"]);
    expect(drift.unrecorded).toEqual(["aws_sqs_queue.queue_XYZ"]);
  });

  test("a rename with a moved block to the new address is not lost", () => {
    const moved: AddressedStack = {
      resource: { aws_sqs_queue: { queue_XYZ: {}, dlq_DEF: {} } },
      moved: [{ from: "aws_sqs_queue.queue_ABC", to: "aws_sqs_queue.queue_XYZ" }],
    };
    expect(addressDrift(recorded, moved).lost).toEqual([]);
  });

  test("a moved block to an address that does not exist does not save it", () => {
    const dangling: AddressedStack = {
      resource: { aws_sqs_queue: { dlq_DEF: {} } },
      moved: [{ from: "aws_sqs_queue.queue_ABC", to: "aws_sqs_queue.nowhere" }],
    };
    expect(addressDrift(recorded, dangling).lost).toEqual(["aws_sqs_queue.queue_ABC"]);
  });
});
