import { Construct } from "constructs";
import { TerraformStack } from "cdktf";
import type { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import type { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { ALARMED_OUTCOMES, DIMENSIONS, METRICS_NAMESPACE, OUTCOMES, SERVICES } from "../../handlers/shared/outcomes";
import { alarmIdPrefixOf, type CountAlarmProps } from "../alarm-topic";
import { enclosingPattern } from "./dashboard";

/** An outcome that means loss or degradation. */
export type AlarmedOutcome = (typeof ALARMED_OUTCOMES)[number];

/** What each stack's handlers can decide that is alarmed (the rest never emit the metric). */
export const ALARMED_BY_SERVICE: Readonly<Record<string, readonly AlarmedOutcome[]>> = {
  "kinesis-ingest": [OUTCOMES.deadLettered, OUTCOMES.budgetExhausted],
  "event-log-api": [OUTCOMES.budgetExhausted],
  "webhook-proxy": [OUTCOMES.budgetExhausted],
  "media-alb": [OUTCOMES.budgetExhausted],
  "translate-api": [OUTCOMES.historyWriteFailed, OUTCOMES.budgetExhausted],
};

const MEANING: Record<AlarmedOutcome, string> = {
  DeadLettered: "records the table can never store went to the dead-letter queue: replay or discard them",
  BudgetExhausted: "work stopped at the invocation's time budget: a dependency is slow or the timeout too short",
  HistoryWriteFailed: "translations answered but not recorded in the history table",
};

/** Where the alarms go: the stack's or a pattern's alarm topic (anything with `countAboveZero`). */
export interface AlarmSink {
  countAboveZero(id: string, props: CountAlarmProps): CloudwatchMetricAlarm;
}

export interface OutcomeAlarmsProps {
  /** The functions watched, each with its alarmed outcomes. */
  readonly functions: readonly { readonly function: LambdaFunction; readonly outcomes?: readonly AlarmedOutcome[] }[];
  /** @default the enclosing pattern's `alarmTopic` */
  readonly topic?: AlarmSink;
  /** The handlers' `service` dimension. @default the stack's id, when it is a service's */
  readonly service?: string;
}

/**
 * Alarms on the handlers' outcome metrics (EMF, `handlers/shared/observability.ts`):
 * any dead letter, any stop at the time budget, any failed history write in a
 * minute notifies the alarm topic. One alarm per function and outcome, in the
 * topic's scope like every alarm (ids prefixed with this construct's path).
 * Replaces a log metric filter on a message marker: the handler counts the
 * outcome itself, so no pattern has to match its wording.
 */
export class OutcomeAlarms extends Construct {
  readonly alarms: CloudwatchMetricAlarm[] = [];

  constructor(scope: Construct, id: string, props: OutcomeAlarmsProps) {
    super(scope, id);
    const topic: AlarmSink | undefined = props.topic ?? enclosingPattern(this)?.alarmTopic;
    if (topic === undefined) throw new Error(`OutcomeAlarms ${this.node.path}: pass topic (not in a pattern).`);
    const stackId = TerraformStack.of(this).node.id;
    const service = props.service ?? ((SERVICES as readonly string[]).includes(stackId) ? stackId : undefined);
    if (service === undefined) throw new Error(`OutcomeAlarms ${this.node.path}: pass service (the stack's id is none).`);
    const prefix = alarmIdPrefixOf(this);
    for (const watched of props.functions) {
      const fn = watched.function;
      const functionName = fn.functionNameInput ?? fn.functionName;
      for (const outcome of watched.outcomes ?? ALARMED_BY_SERVICE[service] ?? ALARMED_OUTCOMES) {
        const kebab = outcome.replace(/[A-Z]/g, (c, i: number) => `${i > 0 ? "-" : ""}${c.toLowerCase()}`);
        this.alarms.push(
          topic.countAboveZero(`${prefix}_${alarmIdPrefixOf(fn)}_${kebab.replace(/-/g, "_")}`, {
            alarmName: `${functionName}-${kebab}`,
            alarmDescription: `${functionName}: ${outcome} > 0: ${MEANING[outcome]}.`,
            namespace: METRICS_NAMESPACE,
            metricName: outcome,
            dimensions: { [DIMENSIONS.service]: service, [DIMENSIONS.functionName]: functionName },
          }),
        );
      }
    }
  }
}
