import { Construct } from "constructs";
import { ApiGatewayDeployment } from "@cdktf/provider-aws/lib/api-gateway-deployment";
import { ApiGatewayResource } from "@cdktf/provider-aws/lib/api-gateway-resource";
import { ApiGatewayRestApi } from "@cdktf/provider-aws/lib/api-gateway-rest-api";
import { DynamodbTable, DynamodbTableConfig } from "@cdktf/provider-aws/lib/dynamodb-table";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { ClientLimits } from "../../blocks/api-key-clients";
import { consolidateProps, exclusive, secureTableDefaults } from "../../blocks/defaults";
import { NodejsFunction } from "../../blocks/lambda/nodejs-function";
import { Pattern, PatternProps } from "../../blocks/pattern";
import { TableRef } from "../../blocks/references";
import { RestApiFrontDoor, restApiFrontDoor, RestApiFrontDoorOptions } from "../../blocks/rest-api-front-door";
import { RestApiStage, restApiStackStage } from "../../blocks/rest-api-stage";
import { DEFAULT_MOCK_RESPONSE } from "./api-definition";
import { TRANSLATE_API_DEFAULTS } from "./defaults";
import { translateRestApi } from "./rest-api";
import { translateFunction } from "./translate-function";
import { observe, Observed } from "../../blocks/observability";

export { DEFAULT_MOCK_RESPONSE, MOCK_REQUEST_TEMPLATE, TRANSLATE_QUERY_PARAMETERS, TRANSLATE_REQUEST_SCHEMA } from "./api-definition";
export { TRANSLATE_API_DEFAULTS } from "./defaults";

/**
 * The history table's settings a user may override: the handler writes `timestamp`-keyed
 * items with `expires_at` as their TTL, so the key schema and the TTL are fixed.
 */
export type TranslateApiTableProps = Partial<Omit<DynamodbTableConfig, "hashKey" | "rangeKey" | "attribute" | "ttl">>;

/** `callerAuth` covers GET/POST /translate; `GET /mock` stays open either way (a MOCK integration reaches no backend). */
export interface TranslateApiProps extends PatternProps, RestApiFrontDoorOptions {
  /** Stage name; the invoke URL ends with it. @default "dev" (the hands-on's) */
  readonly stageName?: string;
  /**
   * Steady-state requests per second each method of the stage accepts before answering 429
   * (`throttling_rate_limit` with variables on).
   * @default 10
   */
  readonly throttlingRateLimit?: number;
  /** Requests accepted in a burst above the rate (`throttling_burst_limit` with variables on). @default 20 */
  readonly throttlingBurstLimit?: number;
  /**
   * Days a history item lives before DynamoDB's TTL deletes it; 0 keeps items forever
   * (`history_ttl_days` with variables on).
   * @default 30 (fix: the hands-on keeps every anonymous caller's text forever)
   */
  readonly historyTtlDays?: number;
  /**
   * Set the region's API Gateway logging role (`ApiGatewayAccountLogging`), which REST access
   * logs need: an account-wide singleton, so only where asked (with variables on, the default of
   * `manage_api_gateway_account`).
   * @default false: the region's setting is managed elsewhere (e.g. by kinesis-ingest)
   */
  readonly manageApiGatewayAccount?: boolean;
  /**
   * The fixed JSON `GET /mock` answers (its integration response template).
   * @default `{ output_text, source_language: "ja", target_language: "en" }` with a sample text
   */
  readonly mockResponse?: Readonly<Record<string, string | number | boolean>>;
  /** Share of requests answered 5xx (0..1, per 5 minutes) that raises an alarm. @default 0.05 */
  readonly api5xxRateThreshold?: number;
  /** Function memory, MB. @default 128 (the hands-on's) */
  readonly memorySize?: number;
  /**
   * Function timeout, seconds.
   * @default 10 (the hands-on's 3 s leaves no room for the SDK's retries of a throttled Translate call)
   */
  readonly functionTimeoutSeconds?: number;
  /**
   * Milliseconds the history write may take before it is abandoned and logged as
   * HISTORY_WRITE_FAILED (the translation is still answered 200); the translation
   * gets the rest of the function's time. Passed as `HISTORY_WRITE_BUDGET_MS`.
   * @default 1000
   */
  readonly historyWriteBudgetMs?: number;
  /**
   * Per-client limits (`client_*` with variables on). Translate bills per character:
   * 200 requests of at most 10,000 characters cap one client at 2 million characters
   * (about 30 USD) a day.
   * @default 1 request/s, burst 2, 200 requests a day per client
   */
  readonly clientLimits?: ClientLimits;
  /**
   * A history table the user has (hash key `timestamp`, string; TTL on `expires_at` for
   * `historyTtlDays` to delete anything): the function writes to it. Not with `tableProps`.
   * @default a new table
   */
  readonly existingTable?: TableRef;
  /** Overrides of the new table's settings (merged over TRANSLATE_API_DEFAULTS.table). Not with `existingTable`. */
  readonly tableProps?: TranslateApiTableProps;
}

/**
 * Seed 004, AWS's serverless hands-on for beginners: a REST API whose Lambda function
 * translates text with Amazon Translate and records the history in DynamoDB, plus a
 * MOCK route answering fixed JSON from API Gateway itself.
 *
 *   REST API (edge-optimized) --GET/POST /translate--> Lambda --> Amazon Translate
 *                                                         \--> DynamoDB `translate-history`
 *                             --GET /mock--> MOCK integration (fixed JSON)
 */
export class TranslateApi extends Pattern {
  /** Its dashboard (none with `dashboard: false`) and the alarms on its handlers' outcome metrics (blocks/observability). */
  readonly observability: Observed;
  readonly api: ApiGatewayRestApi;
  /** `/translate` (GET and POST, Lambda proxy). */
  readonly translateResource: ApiGatewayResource;
  /** `/mock` (GET, MOCK integration). */
  readonly mockResource: ApiGatewayResource;
  readonly deployment: ApiGatewayDeployment;
  readonly stage: RestApiStage;
  readonly frontDoor: RestApiFrontDoor;
  /** The history table the pattern created (undefined with `existingTable`). */
  readonly table?: DynamodbTable;
  /** The history table in use: created or existing. */
  readonly tableRef: TableRef;
  readonly handler: NodejsFunction;
  /** Lets this API invoke the function, on `/translate` only. */
  readonly invokePermission: LambdaPermission;

  constructor(scope: Construct, id: string, props: TranslateApiProps = {}) {
    super(scope, id, props);
    exclusive(this, { existingTable: props.existingTable, tableProps: props.tableProps });
    const defaults = TRANSLATE_API_DEFAULTS;
    const callerAuth = props.callerAuth ?? "api-key";
    const apiName = this.name("translate-api");

    // The hands-on's `translate-history`. Fix: the key was the time alone, so two translations in the
    // same instant overwrote each other; it keeps its name, its value is now `<ISO time>#<uuid>`
    // (handlers/translate-api/history.ts). Encrypted, recoverable, protected: defaults first, overrides after.
    if (props.existingTable) {
      this.tableRef = props.existingTable;
    } else {
      this.table = new DynamodbTable(this, "table", {
        ...consolidateProps<TranslateApiTableProps>({ ...defaults.table, ...secureTableDefaults(this) }, props.tableProps),
        name: props.tableProps?.name ?? this.name("translate-history"),
        hashKey: "timestamp",
        attribute: [{ name: "timestamp", type: "S" }],
        // Always on; the handler writes `expires_at` only when history_ttl_days > 0.
        ttl: { attributeName: "expires_at", enabled: true },
      });
      this.tableRef = this.table;
    }

    const fn = translateFunction(this, {
      table: this.tableRef,
      historyTtlDays: props.historyTtlDays ?? defaults.historyTtlDays,
      memorySize: props.memorySize ?? defaults.memorySize,
      functionTimeoutSeconds: props.functionTimeoutSeconds ?? defaults.functionTimeoutSeconds,
      historyWriteBudgetMs: props.historyWriteBudgetMs ?? defaults.historyWriteBudgetMs,
    });
    this.handler = fn.handler;

    const rest = translateRestApi(this, {
      name: apiName,
      handler: this.handler,
      callerAuth,
      customDomain: props.customDomain !== undefined,
      mockResponse: props.mockResponse ?? DEFAULT_MOCK_RESPONSE,
    });
    this.api = rest.api;
    this.translateResource = rest.translateResource;
    this.mockResource = rest.mockResource;
    this.invokePermission = rest.invokePermission;
    this.deployment = rest.deployment;

    // "Deploy API" to a stage, plus JSON access logs, throttling, metrics and the API 5xx-rate alarm.
    // Fix: errors are logged (the seed turns execution logs off); at INFO they would copy every input text
    // into CloudWatch, so `api_logging_level` defaults to ERROR.
    this.stage = restApiStackStage(this, {
      tracing: this.tracing,
      api: this.api,
      deployment: this.deployment,
      stageName: props.stageName ?? defaults.stageName,
      description: "translate-api stage",
      throttlingRateLimit: props.throttlingRateLimit ?? defaults.throttlingRateLimit,
      throttlingBurstLimit: props.throttlingBurstLimit ?? defaults.throttlingBurstLimit,
      accountLogging: {
        roleName: this.name("translate-api-apigateway-cloudwatch"),
        accountId: this.accountId,
        manageByDefault: props.manageApiGatewayAccount ?? false,
      },
      accessLogRetentionDays: this.logRetentionDays,
      alarms: this.alarmTopic,
      alarmName: this.name("translate-api-5xx"),
      errorRateThreshold: props.api5xxRateThreshold ?? defaults.api5xxRateThreshold,
    });

    // Custom domain, callers (one API key and usage plan per client, or IAM), optional web ACL.
    this.frontDoor = restApiFrontDoor(this, {
      ...props,
      api: this.api,
      stage: this.stage,
      name: apiName,
      hostedZoneId: props.customDomain ? this.hostedZoneId(props.customDomain.zoneName) : undefined,
      limits: consolidateProps(defaults.clientLimits, props.clientLimits),
      invokePath: "*/translate",
    });
    this.observability = observe(this, { service: "translate-api", dashboard: props.dashboard });
  }
}
