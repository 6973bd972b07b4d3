/**
 * The bench's floor: a one-resource cdktf app (provider + one SQS queue, imported
 * from its submodule as the stacks do), synthesized into argv[2]; then the
 * child's peak RSS and CPU on stdout. Run by synth-floor.ts (started as main.ts
 * starts, with startup.ts) and synth-floor-plain.ts (a plain cdktf app under tsx).
 */
import { App, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";

export function synthFloorAndReport(outdir: string): void {
  const app = new App({ outdir });
  const stack = new TerraformStack(app, "floor");
  new AwsProvider(stack, "aws", { region: "ap-northeast-1" });
  new SqsQueue(stack, "queue", { name: "floor" });
  app.synth();
  const usage = process.resourceUsage();
  process.stdout.write(`${JSON.stringify({ maxRssKb: usage.maxRSS, cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000 })}\n`);
}
