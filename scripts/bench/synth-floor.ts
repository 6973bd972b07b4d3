/**
 * Bench child, the floor: a one-resource cdktf app (provider + one SQS queue,
 * imported from its submodule as the stacks do), synthesized into argv[2],
 * started the way main.ts starts (startup.ts).
 */
import "../../startup"; // as main.ts: the same process settings on both sides of the ratio
import { App, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";

const app = new App({ outdir: process.argv[2] });
const stack = new TerraformStack(app, "floor");
new AwsProvider(stack, "aws", { region: "ap-northeast-1" });
new SqsQueue(stack, "queue", { name: "floor" });
app.synth();
const usage = process.resourceUsage();
process.stdout.write(`${JSON.stringify({ maxRssKb: usage.maxRSS, cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000 })}\n`);
