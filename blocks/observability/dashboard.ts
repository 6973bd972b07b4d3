import { Construct, IConstruct } from "constructs";
import { Lazy, TerraformStack } from "cdktf";
import { CloudwatchDashboard } from "@cdktf/provider-aws/lib/cloudwatch-dashboard";
import { SERVICES } from "../../handlers/shared/outcomes";
import { Pattern } from "../pattern";
import { inventoryOf } from "./inventory";
import { dashboardBody, dashboardWidgets } from "./widgets";

export interface PatternDashboardProps {
  /** Physical name of the dashboard (unique in the account and region: include the environment). */
  readonly dashboardName: string;
  /**
   * What the dashboard shows: every function, queue, stream, table, API and load balancer
   * in these subtrees, and every alarm. @default the dashboard's own scope (the pattern)
   */
  readonly of?: readonly IConstruct[];
  /**
   * Where alarms live besides `of` (an alarm topic's construct: alarms are made in its scope).
   * @default none: a pattern's own topic is in `of`
   */
  readonly alarms?: IConstruct;
  /** The `service` dimension of the handlers' outcome metrics. @default the stack's id, when it is a service's */
  readonly service?: string;
  /** Region of the metrics. @default the enclosing pattern's `regionName`, else the stack's environment's region */
  readonly region?: string;
}

/**
 * One CloudWatch dashboard for a pattern, generated at synth from what the
 * pattern holds (`inventory.ts`, `widgets.ts`): the body is a `Lazy` value, so
 * a function or queue added after this construct is on it too.
 */
export class PatternDashboard extends Construct {
  readonly dashboard: CloudwatchDashboard;

  constructor(scope: Construct, id: string, props: PatternDashboardProps) {
    super(scope, id);
    const stackId = TerraformStack.of(this).node.id;
    const service = props.service ?? ((SERVICES as readonly string[]).includes(stackId) ? stackId : undefined);
    const region = props.region ?? enclosingPattern(this)?.regionName;
    if (service === undefined || region === undefined) {
      throw new Error(`PatternDashboard ${this.node.path}: pass ${service === undefined ? "service" : "region"} (not derivable from the stack).`);
    }
    const roots = (): IConstruct[] => [...(props.of ?? [scope]), ...(props.alarms ? [props.alarms] : [])];
    this.dashboard = new CloudwatchDashboard(this, "dashboard", {
      dashboardName: props.dashboardName,
      dashboardBody: Lazy.stringValue({ produce: () => dashboardBody(dashboardWidgets(inventoryOf(roots()), { region, service })) }),
    });
  }
}

/** The pattern `construct` is in (itself included), if any. */
export function enclosingPattern(construct: IConstruct): Pattern | undefined {
  return [...construct.node.scopes].reverse().find((scope): scope is Pattern => scope instanceof Pattern);
}
