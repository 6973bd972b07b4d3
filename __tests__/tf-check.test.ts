/**
 * `npm run tf:check`'s edges: an unknown stack is one clear line (then the usage) and exit status 2, the
 * temporary synth folder is removed, and the summary says what was planned against what was
 * expected. (The plans themselves are proven in terraform.test.ts.)
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { STACK_IDS } from "../main";
import { PlanResult, summaryLine, withOfflineSynth } from "../scripts/terraform-check";

const run = promisify(execFile);

describe("tf:check", () => {
  test("an unknown stack: one line naming it and the known stacks, then the usage, exit status 2, nothing synthesized", async () => {
    const result = await run(process.execPath, ["--require", "tsx/cjs", "scripts/terraform-check.ts", "nope"], {
      cwd: path.resolve(__dirname, ".."),
    }).then(
      () => ({ code: 0, stdout: "", stderr: "" }),
      (err: { code: number; stdout: string; stderr: string }) => err,
    );
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    const [message, usage] = result.stderr.trim().split("\n");
    expect(message).toBe(`tf:check: unknown stack "nope"; the stacks are ${STACK_IDS.join(", ")}`);
    expect(usage).toMatch(/^usage: npm run tf:check/);
  }, 60_000);

  test("the temporary synth folder is gone afterwards, also when planning throws", async () => {
    let seen = "";
    await expect(
      withOfflineSynth(async (outdir) => {
        seen = outdir;
        expect(existsSync(path.join(outdir, "stacks", "kinesis-ingest", "cdk.tf.json"))).toBe(true);
        throw new Error("plan failed");
      }),
    ).rejects.toThrow("plan failed");
    expect(seen).not.toBe("");
    expect(existsSync(seen)).toBe(false);
  }, 60_000);

  const result = (over: Partial<PlanResult>): PlanResult => ({
    stack: "s",
    dir: "s",
    initialized: false,
    ms: 0,
    batchSize: 1,
    ok: true,
    log: "",
    synthesized: ["aws_sqs_queue.a", "aws_sqs_queue.b"],
    planned: ["aws_sqs_queue.a", "aws_sqs_queue.b"],
    ...over,
  });

  test.each<[string, Partial<PlanResult>, string]>([
    ["every resource planned", {}, "ok   s: the plan creates all 2 resources of cdk.tf.json"],
    [
      "more planned through count",
      { planned: ["aws_sqs_queue.a", "aws_sqs_queue.b", "aws_iam_role.c"] },
      "ok   s: the plan creates all 2 resources of cdk.tf.json, and 1 more with count/for_each (3 in all)",
    ],
    [
      "a resource missing from the plan",
      { planned: ["aws_sqs_queue.a"] },
      "FAIL s: 1 of the 2 resources in cdk.tf.json not in the plan: aws_sqs_queue.b",
    ],
    ["terraform failed", { ok: false, planned: [] }, "FAIL s: terraform failed (output below)"],
  ])("summary: %s", (_case, over, line) => {
    expect(summaryLine(result(over))).toBe(line);
  });
});
