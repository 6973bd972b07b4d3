import { Construct } from "constructs";
import { TerraformOutput } from "cdktf";
import { Apigatewayv2Api } from "@cdktf/provider-aws/lib/apigatewayv2-api";
import { Apigatewayv2Integration } from "@cdktf/provider-aws/lib/apigatewayv2-integration";
import { Apigatewayv2Route } from "@cdktf/provider-aws/lib/apigatewayv2-route";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { IamPolicy } from "@cdktf/provider-aws/lib/iam-policy";
import { IamUser } from "@cdktf/provider-aws/lib/iam-user";
import { IamUserPolicyAttachment } from "@cdktf/provider-aws/lib/iam-user-policy-attachment";
import { ApiCustomDomain } from "../../blocks/api-custom-domain";
import { secureTableDefaults } from "../../blocks/defaults";
import { HttpApiStage } from "../../blocks/http-api-stage";
import { NodejsFunction } from "../../blocks/lambda/nodejs-function";
import { ServerlessStack, ServerlessStackProps } from "../../blocks/serverless-stack";
import { DNS_NAME_PATTERN, patternVariable } from "../../blocks/variables";

/**
 * The API's routes. The seed loops over a `routeList` variable with `count`;
 * here the list is a constant, looped over at synth time: each route is its own
 * resource with a stable address (no index shift when the list changes), and
 * the same list drives the requester's policy, so the two cannot drift apart.
 */
export const ROUTES = [
  { id: "get_events_route", method: "GET", path: "/events" },
  { id: "post_events_route", method: "POST", path: "/events" },
] as const;

export interface EventLogApiStackProps extends ServerlessStackProps {
  /** Seed `var.app_name`: prefixes the Lambda role's name. @default "event-log" */
  readonly appName?: string;
  /** Seed `var.log_events_lambda_function_name`. @default "log-events" */
  readonly functionName?: string;
  /** Seed `var.log_events_api_name` (the HTTP API and its access-log group). @default "log-events-http-api" */
  readonly apiName?: string;
  /** Table read capacity units (the seed's PROVISIONED table). @default 1 */
  readonly readCapacity?: number;
  /** Table write capacity units. @default 1 */
  readonly writeCapacity?: number;
  /**
   * CORS `allow_origins`. `*` is harmless here: every route needs a SigV4
   * signature, which a foreign page cannot make without the caller's AWS keys,
   * and no cookies are allowed. An empty list drops the CORS configuration.
   * @default ["*"] (the seed)
   */
  readonly corsAllowOrigins?: readonly string[];
  /**
   * CORS `allow_headers`. Browsers never let `*` cover `Authorization`: a
   * browser client signing with SigV4 needs the headers listed (see the README).
   * @default ["*"] (the seed)
   */
  readonly corsAllowHeaders?: readonly string[];
  /** Default of the `throttling_rate_limit` variable (requests per second, stage-wide). @default 10 */
  readonly throttlingRateLimit?: number;
  /** Default of the `throttling_burst_limit` variable. @default 20 */
  readonly throttlingBurstLimit?: number;
  /**
   * Serve the API on `<api_subdomain>.<domain_name>` with an ACM certificate
   * validated through the Route53 hosted zone of `domain_name` (both Terraform variables).
   * @default true (the seed)
   */
  readonly customDomain?: boolean;
  /** Default of the `api_subdomain` variable. @default "sample-http-api" (the seed's host) */
  readonly apiSubdomain?: string;
  /** Create the requester IAM user (the policy is created either way, to attach to roles). @default true (the seed) */
  readonly requesterUser?: boolean;
  /** The API 5xx alarm fires when this share of requests fails in a minute (0..1). @default 0.05 */
  readonly api5xxRateThreshold?: number;
}

/**
 * Seed 001: an event log behind an IAM-authorized HTTP API.
 *
 *   caller (SigV4) -> HTTP API `GET|POST /events` -> Lambda -> DynamoDB `EventLog`
 *
 * with access logs, stage throttling, an optional custom domain (ACM + Route53),
 * a requester IAM user allowed to call exactly the two routes, and alarms.
 */
export class EventLogApiStack extends ServerlessStack {
  readonly table: DynamodbTable;
  readonly handler: NodejsFunction;
  readonly api: Apigatewayv2Api;
  readonly stage: HttpApiStage;
  readonly routes: Apigatewayv2Route[];
  readonly requesterPolicy: IamPolicy;
  readonly requester?: IamUser;
  readonly domain?: ApiCustomDomain;

  constructor(scope: Construct, id: string, props: EventLogApiStackProps) {
    super(scope, id, props);
    const appName = props.appName ?? "event-log";
    const functionName = this.name(props.functionName ?? "log-events");
    const apiName = this.name(props.apiName ?? "log-events-http-api");

    // Seed: PROVISIONED 1/1 kept (cheapest for a trickle of events; raise the capacity
    // or switch to PAY_PER_REQUEST for real traffic). Fix: encryption and PITR added.
    this.table = new DynamodbTable(this, "table", {
      name: this.name("EventLog"),
      billingMode: "PROVISIONED",
      readCapacity: props.readCapacity ?? 1,
      writeCapacity: props.writeCapacity ?? 1,
      hashKey: "date",
      rangeKey: "time",
      attribute: [
        { name: "date", type: "S" },
        { name: "time", type: "S" },
      ],
      ...secureTableDefaults(this),
    });

    // Fix: the seed zipped a hand-written Node.js 14 file and hashed an archive that does not
    // exist (`data.archive_file.lambda_function`); the project's construct bundles the TypeScript
    // handler and hashes the zip it uploads, on a current runtime. Its log group has a retention,
    // and the policy drops the seed's `logs:CreateLogGroup` on the whole account (Terraform
    // creates the group) and Scan/GetItem/PutItem for exactly what the handler calls.
    this.handler = new NodejsFunction(this, "handler", {
      entry: "handlers/event-log-api/index.ts",
      functionName,
      roleName: this.name(`${appName}-log-events-lambda-function-role`),
      packaging: this.env.lambdaPackaging,
      logRetentionDays: this.env.logRetentionDays,
      alarms: this.alarms,
      rolePolicy: {
        kind: "managed",
        name: this.name("log-events-lambda-function-policy"),
        description: "IAM policy for log events Lambda function.",
      },
      statements: [
        {
          sid: "ReadWriteEventLog",
          actions: ["dynamodb:PutItem", "dynamodb:Query", "dynamodb:Scan"],
          resources: [this.table.arn],
        },
      ],
      environment: { TABLE_NAME: this.table.name },
    });

    const origins = props.corsAllowOrigins ?? ["*"];
    this.api = new Apigatewayv2Api(this, "api", {
      name: apiName,
      protocolType: "HTTP",
      // Fix: with the custom domain (TLS 1.2), the default execute-api endpoint would bypass its TLS policy.
      disableExecuteApiEndpoint: props.customDomain ?? true,
      corsConfiguration:
        origins.length > 0
          ? {
              allowOrigins: [...origins],
              allowMethods: ["GET", "POST"],
              allowHeaders: [...(props.corsAllowHeaders ?? ["*"])],
            }
          : undefined,
    });

    const integration = new Apigatewayv2Integration(this, "integration", {
      apiId: this.api.id,
      integrationType: "AWS_PROXY",
      integrationMethod: "POST",
      integrationUri: this.handler.function.invokeArn,
      payloadFormatVersion: "2.0",
    });

    this.routes = ROUTES.map(
      (route) =>
        new Apigatewayv2Route(this, route.id, {
          apiId: this.api.id,
          routeKey: `${route.method} ${route.path}`,
          target: `integrations/${integration.id}`,
          authorizationType: "AWS_IAM",
        }),
    );

    // Seed: `aws_apigatewayv2_stage.log_events` and `aws_cloudwatch_log_group.log_events_http_api`
    // (the seed's access-log fields, which are the stage's default; fix: a retention). Fix: the seed's stage has no throttling, so one
    // caller could spend the account's 10,000 rps and the table's single write unit: stage-wide
    // limits, tunable at plan time (`throttling_rate_limit`, `throttling_burst_limit`); plus the 5xx-rate alarm.
    const api5xxRate = props.api5xxRateThreshold ?? 0.05;
    this.stage = new HttpApiStage(this, "stage", {
      api: this.api,
      stageName: "$default",
      accessLogGroupName: `/aws/apigateway/${apiName}`,
      accessLogRetentionDays: this.env.logRetentionDays,
      alarms: this.alarms,
      throttlingRateLimit: props.throttlingRateLimit ?? 10,
      throttlingBurstLimit: props.throttlingBurstLimit ?? 20,
      alarmName: `${apiName}-5xx-rate`,
      alarmDescription: `${apiName}: more than ${api5xxRate * 100}% of requests answered 5xx in a minute`,
      errorRateThreshold: api5xxRate,
    });

    this.handler.allowInvoke("permission", {
      statementId: "test-AllowExecutionFromAPIGateway",
      principal: "apigateway.amazonaws.com",
      // Fix: the seed's `/*/*` lets any route of the API invoke the function, one added later
      // included; both of its routes are on /events (any stage, GET or POST).
      sourceArn: `${this.api.executionArn}/*/*/events`,
    });

    if (props.customDomain ?? true) this.domain = this.addCustomDomain(props);

    // The requester: execute-api:Invoke on exactly the two routes, in any stage.
    const requesterDocument = new DataAwsIamPolicyDocument(this, "requester_policy_document", {
      statement: [
        {
          sid: "InvokeEventRoutes",
          actions: ["execute-api:Invoke"],
          resources: ROUTES.map(
            (r) => `arn:aws:execute-api:${this.regionName}:${this.accountId}:${this.api.id}/*/${r.method}${r.path}`,
          ),
        },
      ],
    });
    this.requesterPolicy = new IamPolicy(this, "requester_policy", {
      name: this.name("api-gateway-log-event-requester-policy"),
      description: `Lets its holder call GET and POST /events of the ${apiName} HTTP API.`,
      policy: requesterDocument.json,
    });
    if (props.requesterUser ?? true) {
      this.requester = new IamUser(this, "requester", { name: this.name("api-gateway-log-event-requester") });
      new IamUserPolicyAttachment(this, "requester_policy_attachment", {
        user: this.requester.name,
        policyArn: this.requesterPolicy.arn,
      });
      new TerraformOutput(this, "requester_user_name", {
        value: this.requester.name,
        description: "IAM user allowed to call the routes; create its access key outside Terraform.",
      });
    }

    new TerraformOutput(this, "execute_api_url", {
      value: this.api.apiEndpoint,
      description: "Default execute-api URL (disabled when the custom domain is on: use custom_domain_url)",
    });
    new TerraformOutput(this, "table_name", { value: this.table.name, description: "DynamoDB table holding the events." });
    new TerraformOutput(this, "function_name", { value: this.handler.function.functionName, description: "Lambda function behind the routes." });
    new TerraformOutput(this, "requester_policy_arn", {
      value: this.requesterPolicy.arn,
      description: "IAM policy allowing GET and POST /events: attach it to the roles or users that call the API.",
    });
  }

  /**
   * Fix: the seed requested the certificate for one host (`samle-htttp-api...`) and
   * registered the API domain as another (`sub.domain.com`), so the domain could never use
   * it. Here one host name, `<api_subdomain>.<domain_name>`, drives certificate, domain and record.
   */
  private addCustomDomain(props: EventLogApiStackProps): ApiCustomDomain {
    const zoneName = patternVariable(this, "domain_name", {
      pattern: DNS_NAME_PATTERN,
      description: "Naked domain whose Route53 hosted zone exists already (the seed's var.domain_name), e.g. example.com.",
      errorMessage: "domain_name must be a lower-case DNS name such as example.com.",
    });
    const subdomain = patternVariable(this, "api_subdomain", {
      pattern: "^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$",
      default: props.apiSubdomain ?? "sample-http-api",
      description: "Label(s) in front of domain_name that form the API's host name.",
      errorMessage: "api_subdomain must be DNS labels such as sample-http-api.",
    });
    const hostName = `${subdomain.stringValue}.${zoneName.stringValue}`;
    const hostedZoneId = this.hostedZoneId(zoneName.stringValue);

    const domain = new ApiCustomDomain(this, "domain", {
      domainName: hostName,
      hostedZoneId,
      certificate: { kind: "create" },
      apiId: this.api.id,
      stage: this.stage.stage.id,
    });
    new TerraformOutput(this, "custom_domain_url", {
      value: `https://${domain.domainName.domainName}/events`,
      description: "The events route on the custom domain",
    });
    return domain;
  }
}
