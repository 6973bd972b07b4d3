/**
 * Seed 004: AWS's serverless hands-on for beginners, as a stack.
 *
 *   REST API (edge-optimized) --GET/POST /translate--> Lambda --> Amazon Translate
 *                                                         \--> DynamoDB `translate-history`
 *                             --GET /mock--> MOCK integration (fixed JSON)
 *
 * The hands-on builds this in the console; here each console step is one
 * resource, with the defects fixed (see README.md "Deviations from the seed").
 */
import { createHash } from "node:crypto";
import { Construct } from "constructs";
import { Fn, TerraformOutput, Token } from "cdktf";
import { ApiGatewayDeployment } from "@cdktf/provider-aws/lib/api-gateway-deployment";
import { ApiGatewayIntegration } from "@cdktf/provider-aws/lib/api-gateway-integration";
import { ApiGatewayIntegrationResponse } from "@cdktf/provider-aws/lib/api-gateway-integration-response";
import { ApiGatewayMethod } from "@cdktf/provider-aws/lib/api-gateway-method";
import { ApiGatewayMethodResponse } from "@cdktf/provider-aws/lib/api-gateway-method-response";
import { ApiGatewayModel } from "@cdktf/provider-aws/lib/api-gateway-model";
import { ApiGatewayRequestValidator } from "@cdktf/provider-aws/lib/api-gateway-request-validator";
import { ApiGatewayResource } from "@cdktf/provider-aws/lib/api-gateway-resource";
import { ApiGatewayRestApi } from "@cdktf/provider-aws/lib/api-gateway-rest-api";
import { CloudwatchLogMetricFilter } from "@cdktf/provider-aws/lib/cloudwatch-log-metric-filter";
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { ClientLimits, methodAuthorization } from "../../blocks/api-key-clients";
import { secureTableDefaults } from "../../blocks/defaults";
import { NodejsFunction } from "../../blocks/lambda/nodejs-function";
import { frontDoorOutputs, RestApiFrontDoor, restApiFrontDoor, RestApiFrontDoorOptions } from "../../blocks/rest-api-front-door";
import { RestApiStage, restApiStackStage } from "../../blocks/rest-api-stage";
import { ServerlessStack, ServerlessStackProps } from "../../blocks/serverless-stack";
import { wholeNumberVariable } from "../../blocks/variables";
import { maxHistoryWriteBudgetMs, MIN_TRANSLATE_MS } from "../../handlers/translate-api/config";
import {
  DEFAULT_MOCK_RESPONSE,
  MOCK_REQUEST_TEMPLATE,
  TRANSLATE_QUERY_PARAMETERS,
  TRANSLATE_REQUEST_SCHEMA,
} from "./api-definition";

/** `callerAuth` covers GET/POST /translate; `GET /mock` stays open either way (a MOCK integration reaches no backend). */
export interface TranslateApiStackProps extends ServerlessStackProps, RestApiFrontDoorOptions {
  /**
   * Stage name; the invoke URL ends with it.
   * @default the environment name (`dev` by default, the hands-on's stage)
   */
  readonly stageName?: string;
  /**
   * Default of the `throttling_rate_limit` variable: steady-state requests per
   * second each method of the stage accepts before answering 429.
   * @default 10
   */
  readonly throttlingRateLimit?: number;
  /**
   * Default of the `throttling_burst_limit` variable: requests accepted in a burst.
   * @default 20
   */
  readonly throttlingBurstLimit?: number;
  /**
   * Default of the `history_ttl_days` variable: days a history item lives
   * before DynamoDB's TTL deletes it; 0 keeps items forever.
   * @default 30 (fix: the hands-on keeps every anonymous caller's text forever)
   */
  readonly historyTtlDays?: number;
  /**
   * Default of the `manage_api_gateway_account` variable: create the IAM role
   * API Gateway needs to write logs and register it in the region's API Gateway
   * account settings (`aws_api_gateway_account`). Access logs cannot be enabled
   * until the region has that role. It is one setting per account and region,
   * shared by every REST API there, so exactly one stack should own it (see
   * `ApiGatewayAccountLogging`).
   * @default false (the region already has the role, e.g. from kinesis-ingest; see README "Before you deploy")
   */
  readonly manageApiGatewayAccount?: boolean;
  /**
   * The fixed JSON `GET /mock` answers (its integration response template).
   * @default `{ output_text, source_language: "ja", target_language: "en" }` with a sample text
   */
  readonly mockResponse?: Readonly<Record<string, string | number | boolean>>;
  /**
   * The API 5XXError alarm fires when this fraction of requests in 5 minutes
   * ends in a 5xx (the metric's average is the 5xx rate).
   * @default 0.05
   */
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
   * Defaults of the per-client limits (`client_*` variables). Translate bills per
   * character: 200 requests of at most 10,000 characters cap one client at 2 million
   * characters (about 30 USD) a day.
   * @default 1 request/s, burst 2, 200 requests a day per client
   */
  readonly clientLimits?: ClientLimits;
}

/** Seed 004: REST API -> Lambda -> Amazon Translate, translation history in DynamoDB, plus a MOCK integration. */
export class TranslateApiStack extends ServerlessStack {
  readonly api: ApiGatewayRestApi;
  readonly stage: RestApiStage;
  readonly table: DynamodbTable;
  readonly handler: NodejsFunction;
  readonly frontDoor: RestApiFrontDoor;

  constructor(scope: Construct, id: string, props: TranslateApiStackProps) {
    super(scope, id, props);
    const apiName = this.name("translate-api");
    const callerAuth = props.callerAuth ?? "api-key";

    // ---- Operator settings (plan time; the stage's throttling and the account setting come with their constructs) ----
    const ttlDays = wholeNumberVariable(this, "history_ttl_days", {
      // Fix: callers are anonymous and their text is personal data as often as not; keep it a month, not forever.
      default: props.historyTtlDays ?? 30,
      min: 0,
      description: "Days a translation history item lives before DynamoDB's TTL deletes it; 0 keeps items forever.",
    });

    // ---- History table: the hands-on's `translate-history`, keyed by `timestamp` ----
    this.table = new DynamodbTable(this, "table", {
      name: this.name("translate-history"),
      billingMode: "PAY_PER_REQUEST",
      // Fix: the hands-on's key was the time alone, so two translations in the same instant
      // overwrote each other. The key keeps its name; its value is now `<ISO time>#<uuid>`
      // (handlers/translate-api/history.ts), unique and still time-ordered.
      hashKey: "timestamp",
      attribute: [{ name: "timestamp", type: "S" }],
      ...secureTableDefaults(this),
      // Always on; the handler writes `expires_at` only when history_ttl_days > 0.
      ttl: { attributeName: "expires_at", enabled: true },
    });

    // ---- Function: the hands-on's `translate-function` ----
    const functionTimeoutSeconds = props.functionTimeoutSeconds ?? 10;
    const historyBudgetMs = props.historyWriteBudgetMs ?? 1000;
    // The handler's own rule (handlers/translate-api/config.ts), refused here rather than as a 500 on every request.
    const maxHistoryBudgetMs = maxHistoryWriteBudgetMs(functionTimeoutSeconds * 1000);
    if (!Number.isInteger(historyBudgetMs) || historyBudgetMs < 1 || historyBudgetMs > maxHistoryBudgetMs) {
      throw new Error(
        `translate-api: historyWriteBudgetMs must be a whole number from 1 to ${maxHistoryBudgetMs} with a ${functionTimeoutSeconds} s timeout ` +
          `(Translate keeps at least ${MIN_TRANSLATE_MS} ms after the history write and the safety margin), got ${historyBudgetMs}.`,
      );
    }
    this.handler = new NodejsFunction(this, "handler", {
      entry: "handlers/translate-api/index.ts",
      functionName: this.name("translate-function"),
      roleName: this.name("translate-function-role"),
      packaging: this.env.lambdaPackaging,
      logRetentionDays: this.env.logRetentionDays,
      alarms: this.alarms,
      description: "Translates text with Amazon Translate and records the history (seed 004)",
      memorySize: props.memorySize ?? 128,
      timeout: functionTimeoutSeconds,
      environment: {
        TABLE_NAME: this.table.name,
        HISTORY_TTL_DAYS: Token.asString(ttlDays.numberValue),
        HISTORY_WRITE_BUDGET_MS: String(historyBudgetMs),
      },
      statements: [
        {
          // `*` is required: the Service Authorization Reference gives TranslateText one resource type,
          // `terminology`, and it is optional. A request that names no terminology (this handler never
          // does) is authorized against `*`, so a statement scoped to terminology ARNs would deny it.
          // If you add TerminologyNames, keep this and add the terminology's ARN, never `translate:*`.
          sid: "TranslateText",
          actions: ["translate:TranslateText"],
          resources: ["*"],
        },
        {
          // `source=auto`: Translate calls Comprehend's DetectDominantLanguage with the caller's
          // permissions. That action has no resource type at all: only `*` can grant it.
          sid: "DetectSourceLanguage",
          actions: ["comprehend:DetectDominantLanguage"],
          resources: ["*"],
        },
        { sid: "WriteHistory", actions: ["dynamodb:PutItem"], resources: [this.table.arn] },
      ],
    });

    // A failed history write answers 200 (the translation succeeded) and logs HISTORY_WRITE_FAILED:
    // this filter and alarm make sure it is never silent.
    const historyMetric = { namespace: `${props.env.project}/${id}`, name: "HistoryWriteFailures" };
    new CloudwatchLogMetricFilter(this, "history_write_failures", {
      name: this.name("translate-history-write-failures"),
      logGroupName: this.handler.logGroup.name,
      pattern: '"HISTORY_WRITE_FAILED"',
      metricTransformation: {
        name: historyMetric.name,
        namespace: historyMetric.namespace,
        value: "1",
        unit: "Count",
      },
    });
    this.alarms.countAboveZero("history_write_failures_alarm", {
      alarmName: this.name("translate-history-write-failures"),
      alarmDescription: "Translations answered but not recorded in the history table",
      namespace: historyMetric.namespace,
      metricName: historyMetric.name,
    });

    // ---- REST API: the hands-on's `translate-api`, edge-optimized for callers worldwide ----
    this.api = new ApiGatewayRestApi(this, "api", {
      name: apiName,
      description: "Translation API with history (seed 004)",
      endpointConfiguration: { types: ["EDGE"] },
      // Fix: with a custom domain, the execute-api endpoint would bypass the domain's TLS policy.
      disableExecuteApiEndpoint: props.customDomain !== undefined,
    });
    const restApiId = this.api.id;

    // /translate: GET (query string) and POST (JSON body), both Lambda proxy, validated before Lambda runs.
    const translateResource = new ApiGatewayResource(this, "translate_resource", {
      restApiId,
      parentId: this.api.rootResourceId,
      pathPart: "translate",
    });
    const queryValidator = new ApiGatewayRequestValidator(this, "query_validator", {
      restApiId,
      name: "translate-query-parameters",
      validateRequestParameters: true,
      validateRequestBody: false,
    });
    const bodyValidator = new ApiGatewayRequestValidator(this, "body_validator", {
      restApiId,
      name: "translate-json-body",
      validateRequestParameters: false,
      validateRequestBody: true,
    });
    const requestModel = new ApiGatewayModel(this, "request_model", {
      restApiId,
      name: "TranslateRequest",
      description: "POST /translate body",
      contentType: "application/json",
      schema: JSON.stringify(TRANSLATE_REQUEST_SCHEMA),
    });
    const getMethod = new ApiGatewayMethod(this, "get_method", {
      restApiId,
      resourceId: translateResource.id,
      httpMethod: "GET",
      // Fix: the hands-on's methods are open, so any stranger could spend Translate characters.
      ...methodAuthorization(callerAuth),
      requestValidatorId: queryValidator.id,
      requestParameters: TRANSLATE_QUERY_PARAMETERS,
    });
    const postMethod = new ApiGatewayMethod(this, "post_method", {
      restApiId,
      resourceId: translateResource.id,
      httpMethod: "POST",
      ...methodAuthorization(callerAuth),
      requestValidatorId: bodyValidator.id,
      requestModels: { "application/json": requestModel.name },
    });
    const proxyIntegration = (constructId: string, method: ApiGatewayMethod): ApiGatewayIntegration =>
      new ApiGatewayIntegration(this, constructId, {
        restApiId,
        resourceId: translateResource.id,
        httpMethod: method.httpMethod,
        type: "AWS_PROXY",
        integrationHttpMethod: "POST", // Lambda is always invoked with POST
        uri: this.handler.function.invokeArn,
      });
    const getIntegration = proxyIntegration("get_integration", getMethod);
    const postIntegration = proxyIntegration("post_integration", postMethod);

    // /mock: GET through a MOCK integration; the fixed body comes from the integration response template.
    const mockResource = new ApiGatewayResource(this, "mock_resource", {
      restApiId,
      parentId: this.api.rootResourceId,
      pathPart: "mock",
    });
    const mockMethod = new ApiGatewayMethod(this, "mock_method", {
      restApiId,
      resourceId: mockResource.id,
      httpMethod: "GET",
      // Open on purpose: a MOCK integration answers from API Gateway itself (no function, no Translate).
      authorization: "NONE",
    });
    const mockIntegration = new ApiGatewayIntegration(this, "mock_integration", {
      restApiId,
      resourceId: mockResource.id,
      httpMethod: mockMethod.httpMethod,
      type: "MOCK",
      requestTemplates: { "application/json": MOCK_REQUEST_TEMPLATE },
      // Fix: the console default (WHEN_NO_MATCH) passes a request with another Content-Type to the
      // mock untemplated; without `statusCode` the mock fails with a 500. NEVER answers 415 instead.
      passthroughBehavior: "NEVER",
    });
    const mockMethodResponse = new ApiGatewayMethodResponse(this, "mock_method_response", {
      restApiId,
      resourceId: mockResource.id,
      httpMethod: mockMethod.httpMethod,
      statusCode: "200",
      responseModels: { "application/json": "Empty" },
    });
    const mockResponseTemplate = JSON.stringify(props.mockResponse ?? DEFAULT_MOCK_RESPONSE);
    const mockIntegrationResponse = new ApiGatewayIntegrationResponse(this, "mock_integration_response", {
      restApiId,
      resourceId: mockResource.id,
      httpMethod: mockIntegration.httpMethod, // after the integration exists
      statusCode: mockMethodResponse.statusCode,
      responseTemplates: { "application/json": mockResponseTemplate },
    });

    // Invoke permission for this API only, on /translate only (any stage, so the console's test invoke works).
    this.handler.allowInvoke("api_permission", {
      statementId: "AllowTranslateApiInvoke",
      principal: "apigateway.amazonaws.com",
      sourceArn: `${this.api.executionArn}/*/*/translate`,
    });

    // ---- Deployment and stage ----
    // A deployment is a snapshot: without a trigger, later changes to methods or integrations never
    // reach the stage. The trigger hashes every API resource's id plus the literal definitions, so
    // any change redeploys; create_before_destroy keeps the stage pointing at a live deployment.
    const definitionHash = createHash("sha1")
      .update(
        JSON.stringify({
          schema: TRANSLATE_REQUEST_SCHEMA,
          query: TRANSLATE_QUERY_PARAMETERS,
          mockRequest: MOCK_REQUEST_TEMPLATE,
          mockResponse: mockResponseTemplate,
          // A method's authorization reaches the stage only with a new deployment.
          callerAuth,
        }),
      )
      .digest("hex");
    const deployment = new ApiGatewayDeployment(this, "deployment", {
      restApiId,
      description: "translate-api",
      triggers: {
        redeployment: Fn.sha1(
          Fn.jsonencode([
            translateResource.id,
            mockResource.id,
            queryValidator.id,
            bodyValidator.id,
            requestModel.id,
            getMethod.id,
            postMethod.id,
            mockMethod.id,
            getIntegration.id,
            postIntegration.id,
            getIntegration.uri,
            mockIntegration.id,
            mockMethodResponse.id,
            mockIntegrationResponse.id,
            definitionHash,
          ]),
        ),
      },
      lifecycle: { createBeforeDestroy: true },
      dependsOn: [getIntegration, postIntegration, mockIntegration, mockIntegrationResponse],
    });

    // "Deploy API" to a stage, plus JSON access logs, throttling, metrics and the API 5xx-rate alarm.
    // Fix: errors are logged (the seed turns execution logs off); at INFO they would copy every input text
    // into CloudWatch, so `api_logging_level` defaults to ERROR.
    this.stage = restApiStackStage(this, {
      api: this.api,
      deployment,
      stageName: props.stageName ?? props.env.name,
      description: "translate-api stage",
      throttlingRateLimit: props.throttlingRateLimit ?? 10,
      throttlingBurstLimit: props.throttlingBurstLimit ?? 20,
      // The region's API Gateway CloudWatch role (new, opt-in: kinesis-ingest owns it by default).
      accountLogging: { roleName: this.name("translate-api-apigateway-cloudwatch"), accountId: this.accountId, manageByDefault: props.manageApiGatewayAccount ?? false },
      accessLogRetentionDays: this.env.logRetentionDays,
      alarms: this.alarms,
      alarmName: this.name("translate-api-5xx"),
      errorRateThreshold: props.api5xxRateThreshold ?? 0.05,
    });

    // ---- Custom domain, callers (one API key and usage plan per client, or IAM), optional web ACL ----
    this.frontDoor = restApiFrontDoor(this, {
      ...props,
      api: this.api,
      stage: this.stage,
      name: apiName,
      limits: { rateLimit: 1, burstLimit: 2, dailyQuota: 200, ...props.clientLimits },
      invokePath: "*/translate",
      hostedZoneId: props.customDomain ? this.hostedZoneId(props.customDomain.zoneName) : undefined,
    });

    // ---- Outputs ----
    frontDoorOutputs(this, this.frontDoor);
    const invokeUrl = this.stage.stage.invokeUrl;
    new TerraformOutput(this, "execute_api_url", {
      value: invokeUrl,
      description: "Invoke URL of the stage (execute-api; off with a custom domain: use custom_domain_url).",
    });
    new TerraformOutput(this, "translate_url", {
      value: `${invokeUrl}/translate`,
      description: "GET ?input_text=... or POST {\"input_text\": ...}",
    });
    new TerraformOutput(this, "mock_url", {
      value: `${invokeUrl}/mock`,
      description: "GET: fixed JSON from the MOCK integration",
    });
    new TerraformOutput(this, "table_name", {
      value: this.table.name,
      description: "DynamoDB table holding the translation history.",
    });
  }
}
