/**
 * Outcome alarms (blocks/observability/outcome-alarms.ts) through `observe`,
 * on the synthesized stacks: one alarm per function and alarmed outcome, on
 * the handlers' namespace and dimensions, notifying the stack's topic, and
 * listed on the dashboard's alarm-status widget.
 */
import { TerraformStack, Testing } from "cdktf";
import { STACKS } from "../main";
import { TranslateApi } from "../patterns/translate-api";
import { ALARMED_BY_SERVICE } from "../blocks/observability/outcome-alarms";
import { DIMENSIONS, METRICS_NAMESPACE } from "../handlers/shared/outcomes";
import { dashboardProblems } from "./support/dashboard-coverage";
import { blocksOf, suppliedDeployment, synthesize, type StackJson } from "./support/synth";

/** The stack as the app builds it: its pattern calls `observe` at the end of its constructor. */
function observed(id: string): StackJson {
  return synthesize(STACKS.find((e) => e.id === id)!.build(Testing.app(), suppliedDeployment)).json;
}

const outcomeAlarms = (json: StackJson): Record<string, unknown>[] => blocksOf(json, "aws_cloudwatch_metric_alarm").filter((a) => a.namespace === METRICS_NAMESPACE);

describe.each(STACKS.map((e) => e.id))("%s outcome alarms", (id) => {
  let json: StackJson;
  beforeAll(() => {
    json = observed(id);
  });

  it("alarm on each function's loss and degradation outcomes, on the dimensions the handlers write, to the stack's topic", () => {
    const functions = blocksOf(json, "aws_lambda_function").map((f) => String(f.function_name));
    const alarms = outcomeAlarms(json);
    expect(alarms).toHaveLength(functions.length * ALARMED_BY_SERVICE[id].length);
    const topic = Object.keys(json.resource.aws_sns_topic)[0];
    for (const alarm of alarms) {
      expect(ALARMED_BY_SERVICE[id]).toContain(alarm.metric_name);
      expect(alarm.dimensions).toEqual({ [DIMENSIONS.service]: id, [DIMENSIONS.functionName]: expect.any(String) });
      expect(functions).toContain((alarm.dimensions as Record<string, string>)[DIMENSIONS.functionName]);
      expect(alarm.alarm_actions).toEqual([`\${aws_sns_topic.${topic}.arn}`]);
      expect(alarm).toMatchObject({ statistic: "Sum", threshold: 0, comparison_operator: "GreaterThanThreshold", treat_missing_data: "notBreaching" });
    }
  });

  it("the dashboard still covers the stack, the new alarms on its alarm-status widget", () => {
    expect(dashboardProblems(json, id)).toEqual([]);
  });
});

it("dashboard: false keeps the alarms and adds no dashboard", () => {
  const stack = new TerraformStack(Testing.app(), "plain");
  new TranslateApi(stack, "translate", { dashboard: false });
  const json = synthesize(stack).json;
  expect(json.resource.aws_cloudwatch_dashboard).toBeUndefined();
  expect(outcomeAlarms(json).map((a) => a.metric_name).sort()).toEqual(["BudgetExhausted", "HistoryWriteFailed"]);
});
