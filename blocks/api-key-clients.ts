/**
 * Who may call a REST API, and how much each caller may send: the two ways
 * this project identifies callers of a REST API, and the API keys with one
 * usage plan per client that the default way needs.
 */
import { Construct } from "constructs";
import { TerraformIterator } from "cdktf";
import { ApiGatewayApiKey } from "@cdktf/provider-aws/lib/api-gateway-api-key";
import { ApiGatewayRestApi } from "@cdktf/provider-aws/lib/api-gateway-rest-api";
import { ApiGatewayStage } from "@cdktf/provider-aws/lib/api-gateway-stage";
import { ApiGatewayUsagePlan } from "@cdktf/provider-aws/lib/api-gateway-usage-plan";
import { ApiGatewayUsagePlanKey } from "@cdktf/provider-aws/lib/api-gateway-usage-plan-key";
import { patternSetSetting, positiveNumberSetting } from "./variables";

/**
 * How a REST API identifies its callers.
 * - `"api-key"`: each client sends its own key (`x-api-key`); a usage plan per
 *   client caps its rate, burst and daily quota. For third parties and scripts.
 * - `"iam"`: each request is SigV4-signed by an IAM principal allowed
 *   `execute-api:Invoke` (as event-log-api). For callers inside your AWS accounts.
 */
export type CallerAuth = "api-key" | "iam";

/** The `authorization` and `api_key_required` of a method that identifies its callers by `auth`. */
export function methodAuthorization(auth: CallerAuth): { readonly authorization: string; readonly apiKeyRequired: boolean } {
  return auth === "iam" ? { authorization: "AWS_IAM", apiKeyRequired: false } : { authorization: "NONE", apiKeyRequired: true };
}

/** Client names: what `api_clients` admits (they become key and usage plan names). */
export const CLIENT_NAME_PATTERN = "^[a-z0-9][a-z0-9-]{0,62}$";

/** Per-client limits, as defaults of the plan-time variables. */
export interface ClientLimits {
  /**
   * Default of `client_throttling_rate_limit`: steady requests per second one client (key) may send.
   * @default 10
   */
  readonly rateLimit?: number;
  /**
   * Default of `client_throttling_burst_limit`: requests one client may send in a burst above the rate.
   * @default 20
   */
  readonly burstLimit?: number;
  /**
   * Default of `client_daily_quota`: requests one client may send per day (UTC); above it, 429.
   * @default 10000
   */
  readonly dailyQuota?: number;
}

export interface ApiKeyClientsProps extends ClientLimits {
  /** The REST API whose stage the keys open. */
  readonly api: ApiGatewayRestApi;
  /** The stage the usage plans cover. */
  readonly stage: ApiGatewayStage;
  /** Prefix of the physical names: `<prefix>-<client>` for each key and usage plan. */
  readonly namePrefix: string;
  /**
   * Default of the `api_clients` variable: one API key and usage plan per name.
   * @default ["default"]
   */
  readonly clients?: readonly string[];
}

/**
 * One API key and one usage plan per client, for a REST API whose methods
 * require a key:
 *
 * - `api_clients` (set of names), `client_throttling_rate_limit`,
 *   `client_throttling_burst_limit` and `client_daily_quota`: Terraform
 *   variables, so clients and limits change at plan time, without a new synth;
 * - per client: `aws_api_gateway_api_key` (AWS generates the value), an
 *   `aws_api_gateway_usage_plan` on the stage (rate, burst, quota per day),
 *   and the key's membership in that plan; `apiKeyValues` for an output (the
 *   values are in Terraform state: docs/security.md);
 *
 * The stage's own throttling stays the ceiling for all clients together: a
 * usage plan can only lower what one key gets.
 */
export class ApiKeyClients extends Construct {
  /** The clients' names (a list, or the `api_clients` variable's token). */
  readonly clients: string[];
  readonly rateLimit: number;
  readonly burstLimit: number;
  readonly dailyQuota: number;
  readonly keys: ApiGatewayApiKey;
  readonly usagePlans: ApiGatewayUsagePlan;
  readonly usagePlanKeys: ApiGatewayUsagePlanKey;
  /** Client name -> API key value, as an expression for a (sensitive) output: the values live in state. */
  readonly apiKeyValues: string;

  constructor(scope: Construct, id: string, props: ApiKeyClientsProps) {
    super(scope, id);

    this.clients = patternSetSetting(this, "api_clients", props.clients ?? ["default"], {
      pattern: CLIENT_NAME_PATTERN,
      description:
        "Names of the API's clients: each gets its own API key (output api_keys) and usage plan (client_* limits).",
      errorMessage: "api_clients: names are lower-case letters, digits and dashes (max 63), starting with a letter or digit.",
    });
    this.rateLimit = positiveNumberSetting(
      this,
      "client_throttling_rate_limit",
      props.rateLimit ?? 10,
      "Steady-state requests per second one API client (key) may send; above it, 429. The stage's throttling_rate_limit caps all clients together.",
    );
    this.burstLimit = positiveNumberSetting(
      this,
      "client_throttling_burst_limit",
      props.burstLimit ?? 20,
      "Requests one API client (key) may send in a burst above its rate; above it, 429.",
    );
    this.dailyQuota = positiveNumberSetting(
      this,
      "client_daily_quota",
      props.dailyQuota ?? 10_000,
      "Requests one API client (key) may send per day (UTC); above it, 429 until the next day.",
    );

    // Plain addresses (`type.name`) for the `[each.key]` and `for` expressions below.
    const address = (r: ApiGatewayApiKey | ApiGatewayUsagePlan): string => `${r.terraformResourceType}.${r.friendlyUniqueId}`;
    const perClient = TerraformIterator.fromList(this.clients);
    this.keys = new ApiGatewayApiKey(this, "key", {
      forEach: perClient,
      name: `${props.namePrefix}-${perClient.value}`,
      description: `API key of client ${perClient.value}`,
      enabled: true,
    });
    this.usagePlans = new ApiGatewayUsagePlan(this, "usage_plan", {
      forEach: perClient,
      name: `${props.namePrefix}-${perClient.value}`,
      description: `Limits of client ${perClient.value}`,
      apiStages: [{ apiId: props.api.id, stage: props.stage.stageName }],
      throttleSettings: { rateLimit: this.rateLimit, burstLimit: this.burstLimit },
      quotaSettings: { limit: this.dailyQuota, period: "DAY" },
    });
    this.usagePlanKeys = new ApiGatewayUsagePlanKey(this, "usage_plan_key", {
      forEach: perClient,
      keyId: `\${${address(this.keys)}[each.key].id}`,
      keyType: "API_KEY",
      usagePlanId: `\${${address(this.usagePlans)}[each.key].id}`,
    });

    this.apiKeyValues = `\${{ for name, key in ${address(this.keys)} : name => key.value }}`;
  }
}

export interface RestApiCallersProps extends Omit<ApiKeyClientsProps, keyof ClientLimits> {
  /** How the API's methods identify their callers (the same value the methods got from `methodAuthorization`). */
  readonly auth: CallerAuth;
  /** Per-client limits of this stack (defaults of the `client_*` variables). */
  readonly limits: Required<ClientLimits>;
  /** The `execute-api` ARN IAM callers must be allowed to invoke, e.g. `<execution arn>/<stage>/POST/`. */
  readonly invokeArn: string;
}

/**
 * The callers part of a REST API stack: with `api-key`, one key and usage plan
 * per client (`ApiKeyClients`, construct id `api_clients`); with `iam`, nothing
 * (callers are granted `execute-api:Invoke` on `invokeArn`).
 */
export function restApiCallers(scope: Construct, props: RestApiCallersProps): ApiKeyClients | undefined {
  if (props.auth === "api-key") return new ApiKeyClients(scope, "api_clients", { ...props, ...props.limits });
  return undefined;
}
