import { Construct } from "constructs";
import { Token } from "cdktf";
import { Apigatewayv2Api } from "@cdktf/provider-aws/lib/apigatewayv2-api";
import { Apigatewayv2Integration } from "@cdktf/provider-aws/lib/apigatewayv2-integration";
import { Apigatewayv2Route } from "@cdktf/provider-aws/lib/apigatewayv2-route";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { DynamodbTable, DynamodbTableConfig } from "@cdktf/provider-aws/lib/dynamodb-table";
import { IamPolicy } from "@cdktf/provider-aws/lib/iam-policy";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamUser } from "@cdktf/provider-aws/lib/iam-user";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { ApiCustomDomain } from "../../blocks/api-custom-domain";
import { consolidateProps, exclusive, secureTableDefaults } from "../../blocks/defaults";
import { HttpApiStage } from "../../blocks/http-api-stage";
import { NodejsFunction } from "../../blocks/lambda/nodejs-function";
import { Pattern, PatternProps } from "../../blocks/pattern";
import { TableRef } from "../../blocks/references";
import { EVENT_LOG_API_DEFAULTS } from "./defaults";
import { EventLogApiDomainOptions, eventLogHttpApi } from "./http-api";
import { EventLogApiRequester, requester } from "./requester";
import { observe, Observed } from "../../blocks/observability";

export { EVENT_LOG_API_ROUTES } from "./http-api";
export type { EventLogApiDomainOptions } from "./http-api";
export type { EventLogApiRequester, EventLogApiRequesterRole } from "./requester";
export { EVENT_LOG_API_DEFAULTS } from "./defaults";

/** The table's settings a user may override (the handler reads and writes `date` + `time` keyed items: the key schema is fixed). */
export type EventLogApiTableProps = Partial<Omit<DynamodbTableConfig, "hashKey" | "rangeKey" | "attribute">>;

export interface EventLogApiProps extends PatternProps {
  /** Seed `var.app_name`: prefixes the Lambda role's name (`<namePrefix>-<appName>-log-events-lambda-function-role`). @default "event-log" */
  readonly appName?: string;
  /** Seed `var.log_events_lambda_function_name`: the function's name after the prefix. @default "log-events" */
  readonly functionName?: string;
  /** Seed `var.log_events_api_name`: the HTTP API's (and its access-log group's) name after the prefix. @default "log-events-http-api" */
  readonly apiName?: string;
  /** Read capacity units of the new table (PROVISIONED, the seed's). Not with `existingTable`. @default 1 */
  readonly readCapacity?: number;
  /** Write capacity units of the new table: one write of 1 KB a second each. Not with `existingTable`. @default 1 */
  readonly writeCapacity?: number;
  /**
   * CORS `allow_origins`. `*` is harmless here: every route needs a SigV4 signature, which a
   * foreign page cannot make without the caller's AWS keys, and no cookies are allowed.
   * An empty list drops the CORS configuration.
   * @default ["*"] (the seed)
   */
  readonly corsAllowOrigins?: readonly string[];
  /**
   * CORS `allow_headers`. Browsers never let `*` cover `Authorization`: a browser client
   * signing with SigV4 needs the headers listed (see the README).
   * @default ["*"] (the seed)
   */
  readonly corsAllowHeaders?: readonly string[];
  /** Requests per second the `$default` stage accepts, all routes together (`throttling_rate_limit` with variables on). @default 10 */
  readonly throttlingRateLimit?: number;
  /** Requests accepted in a burst above the rate (`throttling_burst_limit`). @default 20 */
  readonly throttlingBurstLimit?: number;
  /**
   * Serve the API on a host name of its own (ACM certificate, regional domain with TLS 1.2,
   * alias record); the execute-api endpoint is then turned off. No default: a host name is yours.
   * @default none: the execute-api endpoint only
   */
  readonly customDomain?: EventLogApiDomainOptions;
  /**
   * Who holds the requester policy (`execute-api:Invoke` on the two routes): the seed's IAM user,
   * a role trusted principals assume, or nobody (attach `requesterPolicy` yourself).
   * @default "user" (the seed)
   */
  readonly requester?: EventLogApiRequester;
  /** The API 5xx alarm fires when this share of requests fails in a minute (0..1). @default 0.05 */
  readonly api5xxRateThreshold?: number;
  /** A table the user has (hash key `date`, range key `time`, both strings): the function reads and writes it. Not with `tableProps`. @default a new table */
  readonly existingTable?: TableRef;
  /** Overrides of the new table's settings (merged over EVENT_LOG_API_DEFAULTS.table and the secure defaults). Not with `existingTable`. */
  readonly tableProps?: EventLogApiTableProps;
}

/**
 * Seed 001: an event log behind an IAM-authorized HTTP API.
 *
 *   caller (SigV4) -> HTTP API `GET|POST /events` -> Lambda -> DynamoDB `EventLog`
 *
 * with access logs, stage throttling, an optional custom domain (ACM + Route53),
 * a requester allowed to call exactly the two routes, and alarms.
 */
export class EventLogApi extends Pattern {
  /** Its dashboard (none with `dashboard: false`) and the alarms on its handlers' outcome metrics (blocks/observability). */
  readonly observability: Observed;
  /** The table the pattern created (undefined with `existingTable`). */
  readonly table?: DynamodbTable;
  /** The table in use: created or existing. */
  readonly tableRef: TableRef;
  readonly handler: NodejsFunction;
  readonly api: Apigatewayv2Api;
  readonly integration: Apigatewayv2Integration;
  /** One per entry of `EVENT_LOG_API_ROUTES`, in that order. */
  readonly routes: Apigatewayv2Route[];
  readonly stage: HttpApiStage;
  /** The stage's 5xx-rate alarm. */
  readonly api5xxAlarm: CloudwatchMetricAlarm;
  /** API Gateway may invoke the function on `/events` only. */
  readonly invokePermission: LambdaPermission;
  /** Set with `customDomain`. */
  readonly domain?: ApiCustomDomain;
  /** `execute-api:Invoke` on exactly the two routes. */
  readonly requesterPolicy: IamPolicy;
  /** Set with `requester: "user"` (the default). */
  readonly requesterUser?: IamUser;
  /** Set with `requester: { role }`. */
  readonly requesterRole?: IamRole;

  constructor(scope: Construct, id: string, props: EventLogApiProps = {}) {
    super(scope, id, props);
    exclusive(this, { existingTable: props.existingTable, tableProps: props.tableProps });
    exclusive(this, { existingTable: props.existingTable, readCapacity: props.readCapacity });
    exclusive(this, { existingTable: props.existingTable, writeCapacity: props.writeCapacity });
    const names = EVENT_LOG_API_DEFAULTS.names;
    const apiName = this.name(props.apiName ?? names.apiName);

    if (props.existingTable) {
      this.tableRef = props.existingTable;
    } else {
      this.table = this.createTable(props);
      this.tableRef = this.table;
    }

    // Fix: the seed zipped a hand-written Node.js 14 file and hashed an archive that does not
    // exist (`data.archive_file.lambda_function`); the project's construct bundles the TypeScript
    // handler and hashes the zip it uploads, on a current runtime. Its log group has a retention,
    // and the policy drops the seed's `logs:CreateLogGroup` on the whole account (Terraform
    // creates the group) and Scan/GetItem/PutItem for exactly what the handler calls.
    this.handler = new NodejsFunction(this, "handler", {
      ...this.functionDefaults,
      entry: "handlers/event-log-api/index.ts",
      functionName: this.name(props.functionName ?? names.functionName),
      roleName: this.name(`${props.appName ?? names.appName}-log-events-lambda-function-role`),
      rolePolicy: {
        kind: "managed",
        name: this.name("log-events-lambda-function-policy"),
        description: "IAM policy for log events Lambda function.",
      },
      statements: [
        {
          sid: "ReadWriteEventLog",
          actions: ["dynamodb:PutItem", "dynamodb:Query", "dynamodb:Scan"],
          resources: [this.tableRef.arn],
        },
      ],
      environment: { TABLE_NAME: this.tableRef.name },
    });

    const front = eventLogHttpApi(this, {
      handler: this.handler,
      apiName,
      cors: {
        allowOrigins: props.corsAllowOrigins ?? EVENT_LOG_API_DEFAULTS.cors.allowOrigins,
        allowHeaders: props.corsAllowHeaders ?? EVENT_LOG_API_DEFAULTS.cors.allowHeaders,
      },
      throttlingRateLimit: props.throttlingRateLimit ?? EVENT_LOG_API_DEFAULTS.throttling.rateLimit,
      throttlingBurstLimit: props.throttlingBurstLimit ?? EVENT_LOG_API_DEFAULTS.throttling.burstLimit,
      api5xxRateThreshold: props.api5xxRateThreshold ?? EVENT_LOG_API_DEFAULTS.api5xxRateThreshold,
      customDomain: props.customDomain,
    });
    this.api = front.api;
    this.integration = front.integration;
    this.routes = front.routes;
    this.stage = front.stage;
    this.api5xxAlarm = front.stage.alarm;
    this.invokePermission = front.invokePermission;
    this.domain = front.domain;

    const holder = requester(this, { api: this.api, apiName, holder: props.requester ?? "user" });
    this.requesterPolicy = holder.policy;
    this.requesterUser = holder.user;
    this.requesterRole = holder.role;
    this.observability = observe(this, { service: "event-log-api", dashboard: props.dashboard });
  }

  /**
   * Seed: PROVISIONED 1/1 kept (cheapest for a trickle of events; raise the capacity or switch
   * to PAY_PER_REQUEST for real traffic). Fix: encryption and PITR added. Defaults first, the
   * user's overrides after; on demand, no capacity is set (and none may be given).
   */
  private createTable(props: EventLogApiProps): DynamodbTable {
    const defaults = EVENT_LOG_API_DEFAULTS.table;
    const merged = consolidateProps<EventLogApiTableProps>(
      {
        ...defaults,
        readCapacity: props.readCapacity ?? defaults.readCapacity,
        writeCapacity: props.writeCapacity ?? defaults.writeCapacity,
        ...secureTableDefaults(this),
      },
      props.tableProps,
    );
    const { readCapacity, writeCapacity, ...settings } = merged;
    const onDemand = merged.billingMode === "PAY_PER_REQUEST";
    const given = { readCapacity: props.readCapacity ?? props.tableProps?.readCapacity, writeCapacity: props.writeCapacity ?? props.tableProps?.writeCapacity };
    for (const [name, value] of Object.entries(given)) {
      if (value === undefined || Token.isUnresolved(value)) continue;
      if (onDemand) throw new Error(`${this.node.path}: ${name} is for a PROVISIONED table; the table is PAY_PER_REQUEST (leave ${name} out).`);
      if (!Number.isInteger(value) || value < 1) throw new Error(`${this.node.path}: ${name} must be a whole number >= 1, got ${value}.`);
    }
    return new DynamodbTable(this, "table", {
      ...settings,
      ...(onDemand ? {} : { readCapacity, writeCapacity }),
      name: props.tableProps?.name ?? this.name("EventLog"),
      hashKey: "date",
      rangeKey: "time",
      attribute: [
        { name: "date", type: "S" },
        { name: "time", type: "S" },
      ],
    });
  }
}
