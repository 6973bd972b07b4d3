/**
 * The pattern dashboard (blocks/observability/dashboard.ts) on every stack of
 * the registry: the one each pattern builds (`observe` at the end of its
 * constructor), checked by `dashboardProblems` for coverage both ways.
 */
import { Testing, TerraformStack } from "cdktf";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { STACKS } from "../main";
import { Pattern } from "../blocks/pattern";
import { dashboardProblems, parseDashboardBody } from "./support/dashboard-coverage";
import { suppliedDeployment, synthesize, type StackJson } from "./support/synth";

function withDashboard(id: string, extend?: (stack: TerraformStack) => void): StackJson {
  const entry = STACKS.find((e) => e.id === id)!;
  const stack = entry.build(Testing.app(), suppliedDeployment);
  extend?.(stack);
  return synthesize(stack).json;
}

/** The stack's pattern (construct id `Default`). */
function patternOf(stack: TerraformStack): Pattern {
  const pattern = stack.node.findAll().find((node): node is Pattern => node instanceof Pattern);
  if (!pattern) throw new Error(`${stack.node.id} places no pattern`);
  return pattern;
}

const bodyOf = (json: StackJson): string => String(Object.values(json.resource.aws_cloudwatch_dashboard)[0].dashboard_body);

describe.each(STACKS.map((e) => e.id))("%s dashboard", (id) => {
  let json: StackJson;
  beforeAll(() => {
    json = withDashboard(id);
  });

  it("shows every function, queue, stream, table, API and ALB, and only the stack's", () => {
    expect(dashboardProblems(json, id)).toEqual([]);
  });

  it("leads with the spike and ends with the latest dead letters and failures, with their correlation ids", () => {
    const { widgets } = parseDashboardBody(bodyOf(json));
    const firstRow = widgets.filter((w) => (w as unknown as { y: number }).y === 0).map((w) => (w.properties as { title: string }).title);
    expect(firstRow).toEqual(expect.arrayContaining(["Ingress: requests and records in", "Throttles", "Concurrency against its limit", "Dead letters", "Alarms"]));
    // A backlog only where something queues (a stream or a queue); an empty metric widget is refused by CloudWatch.
    const queues = Object.keys(json.resource.aws_kinesis_stream ?? {}).length + Object.keys(json.resource.aws_sqs_queue ?? {}).length;
    expect(firstRow.includes("Backlog")).toBe(queues > 0);
    for (const w of widgets) if (w.type === "metric") expect((w.properties as { metrics: unknown[] }).metrics.length).toBeGreaterThan(0);
    const queries = widgets.flatMap((w) => (w.properties.query ? [w.properties.query] : []));
    expect(queries.filter((q) => q.includes("correlation_id")).length).toBeGreaterThanOrEqual(2);
  });
});

describe("dashboard generation", () => {
  it("shows a queue added after the dashboard was built", () => {
    const json = withDashboard("event-log-api", (stack) => new SqsQueue(patternOf(stack), "late_queue", { name: "added-later" }));
    expect(dashboardProblems(json, "event-log-api")).toEqual([]);
    expect(bodyOf(json)).toContain('"QueueName","added-later"');
  });

  it("puts plan-time numbers (a variable's reserved concurrency, timeouts) into the body as Terraform expressions", () => {
    const body = bodyOf(withDashboard("webhook-proxy"));
    expect(body).toMatch(/"value":\$\{var\.[a-z_]+\}/);
  });

  it("the coverage check fails on a dashboard naming a resource the stack lacks, or missing one it has", () => {
    const json = withDashboard("kinesis-ingest");
    const [name, block] = Object.entries(json.resource.aws_cloudwatch_dashboard)[0];
    const body = bodyOf(json);
    const streamName = String(Object.values(json.resource.aws_kinesis_stream)[0].name);
    const tampered = {
      ...json,
      resource: {
        ...json.resource,
        aws_cloudwatch_dashboard: { [name]: { ...block, dashboard_body: body.split(`"StreamName","${streamName}"`).join('"StreamName","no-such-stream"') } },
      },
    };
    const problems = dashboardProblems(tampered, "kinesis-ingest");
    expect(problems).toContain(`AWS/Kinesis IncomingRecords names StreamName no-such-stream, which the stack does not have`);
    expect(problems).toContain(`StreamName ${streamName} is missing from the dashboard`);
  });
});
