/**
 * A REST API (API Gateway v1) played from cdk.tf.json: the resource tree,
 * each method's authorization (`AWS_IAM`: SigV4; `api_key_required`: the
 * `x-api-key` header, with the key's usage plan throttle and quota, see
 * ./usage-plans.ts), request validator (required parameters, a JSON body
 * model), stage throttling, and its integration:
 * - `AWS` to a service action (Kinesis PutRecord, DynamoDB): the request
 *   template rendered (velocityjs) and sent to the local engine, the answer
 *   mapped through the integration responses;
 * - `AWS_PROXY`: the Lambda function with a payload 1.0 event;
 * - `MOCK`: the request template's statusCode selects the integration response.
 */
import { randomUUID } from "node:crypto";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { integrationResponse, type IntegrationResponse, renderTemplate, selectResponse, TokenBucket } from "../emulator/apigateway";
import { ACCOUNT_ID } from "../emulator/engines";
import { type Block, numberSetting, referenceOf, resolveLiterals, resources, type SynthesizedStack } from "../emulator/synth";
import type { LocalRuntime } from "./runtime";
import { flatHeaders, header, isTextContent, jsonResponse, type LocalRequest, type LocalResponse } from "./server";
import { verifySigV4, type LocalCredentials } from "./sigv4";
import { validateJsonSchema } from "./json-schema";
import { type LocalApiKey, readApiKeys } from "./usage-plans";

interface RestMethod {
  readonly path: string;
  readonly httpMethod: string;
  readonly authorization: string;
  readonly apiKeyRequired: boolean;
  readonly requiredParameters: string[];
  readonly bodySchema?: unknown;
  readonly integration: Block;
  readonly responses: IntegrationResponse[];
}

export interface RestApi {
  readonly stageName: string;
  readonly routes: string[];
  readonly usesApiKeys: boolean;
  /** The keys the methods with `api_key_required` take (send as `x-api-key`), each with its usage plan. */
  readonly apiKeys: readonly LocalApiKey[];
  handle(req: LocalRequest): Promise<LocalResponse>;
}

/** `${aws_api_gateway_resource.x.id}` or the API's root -> the resource's path. */
function resourcePaths(stack: SynthesizedStack): Map<string, string> {
  const paths = new Map<string, string>();
  const blocks = new Map(resources(stack, "aws_api_gateway_resource"));
  const pathOf = (ref: string): string => {
    if (/root_resource_id\}$/.test(ref)) return "/";
    const name = referenceOf(ref)?.name ?? "";
    const known = paths.get(name);
    if (known) return known;
    const block = blocks.get(name);
    if (!block) throw new Error(`${stack.id}: unknown API resource ${ref}`);
    const parent = pathOf(String(block.parent_id));
    const path = `${parent === "/" ? "" : parent}/${String(block.path_part)}`;
    paths.set(name, path);
    return path;
  };
  for (const name of blocks.keys()) pathOf(`\${aws_api_gateway_resource.${name}.id}`);
  paths.set("", "/");
  return paths;
}

function readMethods(stack: SynthesizedStack): RestMethod[] {
  const paths = resourcePaths(stack);
  const pathOf = (ref: unknown): string => (/root_resource_id\}$/.test(String(ref)) ? "/" : paths.get(referenceOf(ref)?.name ?? "") ?? "?");
  const models = new Map(resources(stack, "aws_api_gateway_model").map(([, m]) => [String(m.name), m]));
  const validators = new Map(resources(stack, "aws_api_gateway_request_validator"));
  const integrations = resources(stack, "aws_api_gateway_integration");
  const integrationResponses = resources(stack, "aws_api_gateway_integration_response");
  return resources(stack, "aws_api_gateway_method").map(([name, m]) => {
    const path = pathOf(m.resource_id);
    const httpMethod = String(m.http_method);
    // An integration (response) belongs to this method by reference to it, or to its integration.
    const mine = (b: Block, integrationName?: string): boolean => {
      const ref = referenceOf(b.http_method);
      if (ref?.type === "aws_api_gateway_method") return ref.name === name;
      if (ref?.type === "aws_api_gateway_integration") return ref.name === integrationName;
      return String(b.http_method) === httpMethod && pathOf(b.resource_id) === path;
    };
    const found = integrations.find(([, b]) => mine(b));
    if (!found) throw new Error(`${stack.id}: method ${httpMethod} ${path} has no integration`);
    const [integrationName, integration] = found;
    const validatorName = referenceOf(m.request_validator_id)?.name;
    const validator = validatorName ? validators.get(validatorName) : undefined;
    const modelName = (m.request_models as Record<string, string> | undefined)?.["application/json"];
    const model = modelName ? models.get(/\$\{/.test(modelName) ? String(stack.json.resource?.aws_api_gateway_model?.[referenceOf(modelName)?.name ?? ""]?.name) : modelName) : undefined;
    const parameters = (m.request_parameters as Record<string, boolean> | undefined) ?? {};
    return {
      path,
      httpMethod,
      authorization: String(m.authorization ?? "NONE"),
      apiKeyRequired: m.api_key_required === true,
      requiredParameters: validator?.validate_request_parameters === true ? Object.entries(parameters).filter(([, required]) => required).map(([p]) => p) : [],
      bodySchema: validator?.validate_request_body === true && model ? (JSON.parse(String(model.schema)) as unknown) : undefined,
      integration,
      responses: integrationResponses
        .filter(([, r]) => mine(r, integrationName))
        .map(([, r]) => integrationResponse(stack, r)),
    };
  });
}

/** API Gateway's `{param}` and `{proxy+}` path parts as a regular expression. */
function pathPattern(path: string): RegExp {
  const source = path
    .split("/")
    .map((part) => (/^\{.+\+\}$/.test(part) ? ".+" : /^\{.+\}$/.test(part) ? "[^/]+" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
    .join("/");
  return new RegExp(`^${source === "" ? "/" : source}$`);
}

/** The Kinesis and DynamoDB JSON APIs an `AWS` integration can call on the local engines. */
const SERVICE_TARGETS: Record<string, { target: string; contentType: string; engine: "kinesis" | "dynamodb" }> = {
  kinesis: { target: "Kinesis_20131202", contentType: "application/x-amz-json-1.1", engine: "kinesis" },
  dynamodb: { target: "DynamoDB_20120810", contentType: "application/x-amz-json-1.0", engine: "dynamodb" },
};

export interface RestApiOptions {
  readonly credentials: LocalCredentials;
}

export function restApi(runtime: LocalRuntime, options: RestApiOptions): RestApi {
  const { stack } = runtime;
  const methods = readMethods(stack);
  const stage = resources(stack, "aws_api_gateway_stage")[0]?.[1];
  const stageName = String(stage?.stage_name ?? "dev");
  const settings = resources(stack, "aws_api_gateway_method_settings")[0]?.[1]?.settings as Block | undefined;
  const rate = numberSetting(stack, settings?.throttling_rate_limit, "throttling_rate_limit");
  const burst = numberSetting(stack, settings?.throttling_burst_limit, "throttling_burst_limit");
  const bucket = rate !== undefined && burst !== undefined ? new TokenBucket(rate, burst) : undefined;
  const patterns = methods.map((m) => ({ method: m, pattern: pathPattern(m.path) }));
  const apiKeys = readApiKeys(stack);

  // Check at start that every integration can be played locally.
  for (const m of methods) {
    const type = String(m.integration.type);
    if (type === "AWS") {
      const service = /:apigateway:[^:]*:([a-z0-9-]+):action\/([A-Za-z]+)$/.exec(resolveLiterals(stack, String(m.integration.uri).replace(/\$\{data\.aws_region\.[^}]+\}/, "local")))?.[1];
      if (!service || !SERVICE_TARGETS[service]) throw new Error(`${stack.id}: ${m.httpMethod} ${m.path} integrates ${String(m.integration.uri)}, which has no local engine`);
    } else if (type === "AWS_PROXY") {
      const fn = referenceOf(m.integration.uri);
      if (fn?.type !== "aws_lambda_function" || !runtime.functions.has(fn.name)) throw new Error(`${stack.id}: ${m.httpMethod} ${m.path} proxies to something other than a function of the stack`);
    } else if (type !== "MOCK") throw new Error(`${stack.id}: integration type ${type} is not played locally`);
  }

  const awsIntegration = async (m: RestMethod, req: LocalRequest, requestId: string): Promise<LocalResponse> => {
    const uri = String(m.integration.uri).replace(/\$\{data\.aws_region\.[^}]+\}/, "local");
    const [, service, action] = /:([a-z0-9-]+):action\/([A-Za-z]+)$/.exec(uri)!;
    const target = SERVICE_TARGETS[service];
    const contentType = (header(req, "content-type") ?? "application/json").split(";")[0].trim();
    const templates = (m.integration.request_templates as Record<string, string> | undefined) ?? {};
    const template = templates[contentType];
    let payload: string;
    if (template !== undefined) payload = renderTemplate(resolveLiterals(stack, template), req.body.toString("utf8"), requestId).output;
    else if (m.integration.passthrough_behavior === "NEVER" || (m.integration.passthrough_behavior === "WHEN_NO_TEMPLATES" && Object.keys(templates).length > 0)) {
      return jsonResponse(415, { message: "Unsupported Media Type" });
    } else payload = req.body.toString("utf8");
    const engine = runtime.engines[target.engine];
    if (!engine) throw new Error(`no local ${service} engine`);
    const answer = await fetch(`${engine.endpoint}/`, {
      method: "POST",
      headers: {
        "content-type": target.contentType,
        "x-amz-target": `${target.target}.${action}`,
        // The engines read the scope, not the signature: API Gateway signs with the integration's role.
        authorization: `AWS4-HMAC-SHA256 Credential=local/20250101/local/${service}/aws4_request, SignedHeaders=host, Signature=0`,
        "x-amz-date": "20250101T000000Z",
      },
      body: payload,
    });
    const text = await answer.text();
    const selected = selectResponse(m.responses, answer.status, text, requestId);
    return { status: selected.status, headers: { "content-type": "application/json" }, body: selected.body };
  };

  const mockIntegration = (m: RestMethod, req: LocalRequest, requestId: string): LocalResponse => {
    const template = (m.integration.request_templates as Record<string, string> | undefined)?.["application/json"] ?? '{"statusCode": 200}';
    const rendered = renderTemplate(template, req.body.toString("utf8"), requestId).output;
    let statusCode = 200;
    try {
      statusCode = Number((JSON.parse(rendered) as { statusCode?: number }).statusCode ?? 200);
    } catch {
      return jsonResponse(500, { message: "Internal server error" });
    }
    const selected = selectResponse(m.responses, statusCode, "", requestId);
    return { status: selected.status, headers: { "content-type": "application/json" }, body: selected.body };
  };

  const proxyIntegration = async (m: RestMethod, req: LocalRequest, requestId: string, pathParameters: Record<string, string> | null): Promise<LocalResponse> => {
    const fn = runtime.functions.get(referenceOf(m.integration.uri)!.name)!;
    const query: Record<string, string> = {};
    const multiQuery: Record<string, string[]> = {};
    for (const [k, v] of req.url.searchParams) {
      query[k] = v;
      (multiQuery[k] ??= []).push(v);
    }
    const headers = flatHeaders(req);
    const binary = req.body.length > 0 && !isTextContent(headers["content-type"]);
    const event: APIGatewayProxyEvent = {
      resource: m.path,
      path: req.url.pathname.slice(stageName.length + 1) || "/",
      httpMethod: req.method,
      headers,
      multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
      queryStringParameters: Object.keys(query).length ? query : null,
      multiValueQueryStringParameters: Object.keys(multiQuery).length ? multiQuery : null,
      pathParameters,
      stageVariables: null,
      requestContext: {
        accountId: ACCOUNT_ID,
        apiId: "local",
        authorizer: null,
        protocol: "HTTP/1.1",
        httpMethod: req.method,
        identity: {
          accessKey: null, accountId: null, apiKey: null, apiKeyId: null, caller: null, clientCert: null, cognitoAuthenticationProvider: null,
          cognitoAuthenticationType: null, cognitoIdentityId: null, cognitoIdentityPoolId: null, principalOrgId: null, sourceIp: req.sourceIp,
          user: null, userAgent: headers["user-agent"] ?? null, userArn: null,
        },
        path: req.url.pathname,
        stage: stageName,
        requestId,
        requestTimeEpoch: Date.now(),
        resourceId: "local",
        resourcePath: m.path,
      },
      body: req.body.length === 0 ? null : binary ? req.body.toString("base64") : req.body.toString("utf8"),
      isBase64Encoded: binary,
    };
    let result: APIGatewayProxyResult;
    try {
      result = await fn.invoke<APIGatewayProxyResult>(event);
    } catch {
      return jsonResponse(502, { message: "Internal server error" });
    }
    if (!result || typeof result.statusCode !== "number") return jsonResponse(502, { message: "Internal server error" });
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(result.headers ?? {})) out[k] = String(v);
    for (const [k, v] of Object.entries(result.multiValueHeaders ?? {})) out[k] = v.map(String);
    const body = result.isBase64Encoded ? Buffer.from(result.body ?? "", "base64") : (result.body ?? "");
    return { status: result.statusCode, headers: out, body };
  };

  return {
    stageName,
    usesApiKeys: methods.some((m) => m.apiKeyRequired),
    apiKeys: apiKeys.keys,
    routes: methods.map((m) => `${m.httpMethod} /${stageName}${m.path === "/" ? "" : m.path}  (${String(m.integration.type)}${m.authorization === "AWS_IAM" ? ", SigV4" : ""}${m.apiKeyRequired ? ", x-api-key" : ""})`),
    async handle(req) {
      // API Gateway answers every request with its id (`x-amzn-RequestId`), the one `$context.requestId` holds.
      const requestId = randomUUID();
      const response = await respond(req, requestId);
      return { ...response, headers: { ...response.headers, "x-amzn-requestid": requestId } };
    },
  };

  async function respond(req: LocalRequest, requestId: string): Promise<LocalResponse> {
    const prefix = `/${stageName}`;
    const pathname = req.url.pathname;
    if (pathname !== prefix && !pathname.startsWith(`${prefix}/`)) return jsonResponse(403, { message: "Missing Authentication Token" });
    const path = pathname.slice(prefix.length) || "/";
    const candidates = patterns.filter((p) => p.pattern.test(path));
    // API Gateway answers an unknown resource or method with 403 Missing Authentication Token.
    const match = candidates.find((p) => p.method.httpMethod === req.method || p.method.httpMethod === "ANY");
    if (!match) return jsonResponse(403, { message: "Missing Authentication Token" });
    const m = match.method;
    if (m.authorization === "AWS_IAM") {
      const verdict = await verifySigV4(req, options.credentials, runtime.region);
      if (!verdict.ok) return jsonResponse(403, { message: verdict.message });
    }
    if (m.apiKeyRequired) {
      // The key's usage plan (its throttle, then its quota) before the stage's throttle.
      const verdict = apiKeys.check(header(req, "x-api-key"));
      if (!verdict.ok) return jsonResponse(verdict.status, { message: verdict.message });
    }
    if (bucket && !bucket.take()) return jsonResponse(429, { message: "Too Many Requests" });
    const missing = m.requiredParameters.filter((p) => {
      const [, where, name] = /^method\.request\.(querystring|header|path)\.(.+)$/.exec(p) ?? [];
      if (where === "querystring") return !req.url.searchParams.has(name);
      if (where === "header") return header(req, name) === undefined;
      return false;
    });
    if (missing.length > 0) {
      return jsonResponse(400, { message: `Missing required request parameters: [${missing.map((p) => p.split(".").pop()).join(", ")}]` });
    }
    if (m.bodySchema !== undefined) {
      let body: unknown;
      try {
        body = JSON.parse(req.body.toString("utf8"));
      } catch {
        return jsonResponse(400, { message: "Invalid request body" });
      }
      const errors = validateJsonSchema(m.bodySchema, body);
      if (errors.length > 0) return jsonResponse(400, { message: "Invalid request body", errors });
    }
    const type = String(m.integration.type);
    if (type === "MOCK") return mockIntegration(m, req, requestId);
    if (type === "AWS") return awsIntegration(m, req, requestId);
    const names = /\{(\w+)\+?\}/g;
    const pathParameters: Record<string, string> = {};
    const keys = [...m.path.matchAll(names)].map((x) => x[1]);
    if (keys.length > 0) {
      const values = new RegExp(pathPattern(m.path).source.replace(/\[\^\/\]\+|\.\+/g, "(.+?)")).exec(path)?.slice(1) ?? [];
      keys.forEach((k, i) => (pathParameters[k] = decodeURIComponent(values[i] ?? "")));
    }
    return proxyIntegration(m, req, requestId, keys.length > 0 ? pathParameters : null);
  }
}
