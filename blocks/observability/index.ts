/**
 * Observability for a pattern in one call, at the end of its constructor:
 *
 *   observe(this, { service: "kinesis-ingest" });
 *
 * adds the pattern's dashboard (`PatternDashboard`, off with `dashboard: false`)
 * and the outcome alarms of every Lambda function the pattern holds then
 * (`OutcomeAlarms`, on the stack's alarm topic).
 */
import { Construct } from "constructs";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import type { IConstruct } from "constructs";
import { enclosingPattern, PatternDashboard } from "./dashboard";
import { AlarmedOutcome, type AlarmSink, OutcomeAlarms } from "./outcome-alarms";

export { PatternDashboard, type PatternDashboardProps } from "./dashboard";
export { ALARMED_BY_SERVICE, type AlarmedOutcome, type AlarmSink, OutcomeAlarms, type OutcomeAlarmsProps } from "./outcome-alarms";

export interface ObserveProps {
  /** Physical name of the dashboard. @default the pattern's `name("<service>-dashboard")` (patterns of one environment share a prefix) */
  readonly dashboardName?: string;
  /** The dashboard; `false`: none (the alarms stay). @default true */
  readonly dashboard?: boolean;
  /** The handlers' `service`. @default the stack's id */
  readonly service?: string;
  /** Where the alarms go. @default the pattern's `alarmTopic` */
  readonly topic?: AlarmSink & IConstruct;
  /** Region of the dashboard's metrics. @default the pattern's `regionName` */
  readonly region?: string;
  /** Alarmed outcomes per function name (its `function_name` input). @default `ALARMED_BY_SERVICE[service]` for each */
  readonly outcomes?: Readonly<Record<string, readonly AlarmedOutcome[]>>;
}

export interface Observed {
  readonly dashboard?: PatternDashboard;
  readonly alarms: OutcomeAlarms;
}

/** The dashboard (construct id `dashboard`) and outcome alarms (`outcome_alarms`) of `pattern`. */
export function observe(pattern: Construct, props: ObserveProps = {}): Observed {
  const enclosing = enclosingPattern(pattern);
  const dashboardName = props.dashboardName ?? enclosing?.name(`${props.service ?? "pattern"}-dashboard`);
  if (dashboardName === undefined) throw new Error(`observe ${pattern.node.path}: pass dashboardName (not in a pattern).`);
  const functions = pattern.node
    .findAll()
    .filter((node): node is LambdaFunction => node instanceof LambdaFunction)
    .map((fn) => ({ function: fn, outcomes: props.outcomes?.[fn.functionNameInput ?? ""] }));
  const alarms = new OutcomeAlarms(pattern, "outcome_alarms", { functions, topic: props.topic, service: props.service });
  const dashboard =
    props.dashboard === false
      ? undefined
      : new PatternDashboard(pattern, "dashboard", { dashboardName, alarms: props.topic, service: props.service, region: props.region });
  return { dashboard, alarms };
}
