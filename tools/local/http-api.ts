/**
 * An HTTP API (API Gateway v2) played from cdk.tf.json: its routes
 * (`METHOD /path`, `$default`), `AWS_IAM` routes verified with SigV4 against
 * the local credentials (never skipped), the API's CORS configuration
 * (preflight answered by the API, allow-origin on answers), stage throttling,
 * and Lambda proxy integrations with payload 2.0 events (on an `AWS_IAM` route
 * with the signing caller in `requestContext.authorizer.iam`, as API Gateway passes it).
 */
import { createHash, randomUUID } from "node:crypto";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { TokenBucket } from "../emulator/apigateway";
import { ACCOUNT_ID } from "../emulator/engines";
import { type Block, numberSetting, referenceOf, resource, resources } from "../emulator/synth";
import type { LocalRuntime } from "./runtime";
import { flatHeaders, header, isTextContent, jsonResponse, type LocalRequest, type LocalResponse } from "./server";
import { verifySigV4, type LocalCredentials } from "./sigv4";

interface HttpRoute {
  readonly method: string;
  readonly path: string;
  readonly routeKey: string;
  readonly iam: boolean;
  readonly functionName: string;
}

export interface HttpApi {
  readonly routes: string[];
  handle(req: LocalRequest): Promise<LocalResponse>;
}

interface Cors {
  readonly allowOrigins: string[];
  readonly allowMethods: string[];
  readonly allowHeaders: string[];
  readonly exposeHeaders: string[];
  readonly maxAge?: number;
  readonly allowCredentials: boolean;
}

/** What API Gateway puts in `requestContext.authorizer.iam` for a SigV4-signed caller (payload 2.0). */
export interface IamCaller {
  readonly accessKey: string;
  readonly accountId: string;
  readonly callerId: string;
  readonly cognitoIdentity: null;
  readonly principalOrgId: null;
  readonly userArn: string;
  readonly userId: string;
}

/**
 * The caller a request signed with the local credentials is: one IAM user of the
 * local account, `user/local`, whose id derives from the access key (as an
 * IAM user's `AIDA...` id stays with its keys).
 */
export function localCaller(credentials: LocalCredentials): IamCaller {
  const userId = `AIDA${createHash("sha256").update(credentials.accessKeyId).digest("hex").slice(0, 17).toUpperCase()}`;
  return {
    accessKey: credentials.accessKeyId,
    accountId: ACCOUNT_ID,
    callerId: userId,
    cognitoIdentity: null,
    principalOrgId: null,
    userArn: `arn:aws:iam::${ACCOUNT_ID}:user/local`,
    userId,
  };
}

function readCors(api: Block): Cors | undefined {
  const c = api.cors_configuration as Block | undefined;
  if (!c) return undefined;
  const list = (v: unknown): string[] => ((v as string[] | undefined) ?? []).map(String);
  return {
    allowOrigins: list(c.allow_origins),
    allowMethods: list(c.allow_methods),
    allowHeaders: list(c.allow_headers),
    exposeHeaders: list(c.expose_headers),
    maxAge: typeof c.max_age === "number" ? c.max_age : undefined,
    allowCredentials: c.allow_credentials === true,
  };
}

function corsOrigin(cors: Cors, origin: string | undefined): string | undefined {
  if (!origin) return undefined;
  if (cors.allowOrigins.includes("*")) return "*";
  return cors.allowOrigins.find((o) => o.toLowerCase() === origin.toLowerCase()) ? origin : undefined;
}

export function httpApi(runtime: LocalRuntime, credentials: LocalCredentials): HttpApi {
  const { stack } = runtime;
  const [, api] = resources(stack, "aws_apigatewayv2_api")[0];
  const cors = readCors(api);
  const [, stage] = resources(stack, "aws_apigatewayv2_stage")[0];
  const stageName = String(stage.name);
  const settings = stage.default_route_settings as Block | undefined;
  const rate = numberSetting(stack, settings?.throttling_rate_limit, "throttling_rate_limit");
  const burst = numberSetting(stack, settings?.throttling_burst_limit, "throttling_burst_limit");
  const bucket = rate !== undefined && burst !== undefined ? new TokenBucket(rate, burst) : undefined;
  const caller = localCaller(credentials);

  const routes: HttpRoute[] = resources(stack, "aws_apigatewayv2_route").map(([name, r]) => {
    const routeKey = String(r.route_key);
    const [method, path] = routeKey === "$default" ? ["ANY", "$default"] : routeKey.split(" ");
    const integrationRef = referenceOf(String(r.target).replace(/^integrations\//, ""));
    const integration = resource(stack, "aws_apigatewayv2_integration", integrationRef?.name ?? "");
    const fnRef = referenceOf(integration.integration_uri);
    if (fnRef?.type !== "aws_lambda_function" || !runtime.functions.has(fnRef.name)) throw new Error(`${stack.id}: route ${name} does not integrate a function of the stack`);
    if (String(integration.payload_format_version ?? "2.0") !== "2.0") throw new Error(`${stack.id}: route ${name} uses payload ${String(integration.payload_format_version)}; only 2.0 is played locally`);
    return { method, path, routeKey, iam: r.authorization_type === "AWS_IAM", functionName: fnRef.name };
  });

  const matches = (route: HttpRoute, method: string, path: string): boolean => {
    if (route.path === "$default") return true;
    if (route.method !== "ANY" && route.method !== method) return false;
    const pattern = route.path
      .split("/")
      .map((p) => (/^\{.+\+\}$/.test(p) ? ".+" : /^\{.+\}$/.test(p) ? "[^/]+" : p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
      .join("/");
    return new RegExp(`^${pattern}$`).test(path);
  };

  const corsHeaders = (req: LocalRequest): Record<string, string> => {
    const origin = cors ? corsOrigin(cors, header(req, "origin")) : undefined;
    if (!cors || !origin) return {};
    return {
      "access-control-allow-origin": origin,
      ...(cors.exposeHeaders.length ? { "access-control-expose-headers": cors.exposeHeaders.join(",") } : {}),
      ...(cors.allowCredentials ? { "access-control-allow-credentials": "true" } : {}),
    };
  };

  return {
    routes: routes.map((r) => `${r.routeKey}${r.iam ? `  (AWS_IAM: SigV4-signed requests only, as ${caller.userArn})` : ""}`),
    async handle(req) {
      // On the execute-api URL a named stage is the first path segment; on a custom domain it is not.
      let path = req.url.pathname;
      if (stageName !== "$default" && (path === `/${stageName}` || path.startsWith(`/${stageName}/`))) path = path.slice(stageName.length + 1) || "/";
      const origin = header(req, "origin");
      // CORS preflight: the API answers it before any route or authorization.
      if (cors && req.method === "OPTIONS" && origin && header(req, "access-control-request-method")) {
        const allowed = corsOrigin(cors, origin);
        if (!allowed) return { status: 204 };
        return {
          status: 204,
          headers: {
            "access-control-allow-origin": allowed,
            "access-control-allow-methods": cors.allowMethods.join(","),
            "access-control-allow-headers": cors.allowHeaders.includes("*") ? (header(req, "access-control-request-headers") ?? "*") : cors.allowHeaders.join(","),
            ...(cors.maxAge !== undefined ? { "access-control-max-age": String(cors.maxAge) } : {}),
          },
        };
      }
      const route = routes.find((r) => r.path !== "$default" && matches(r, req.method, path)) ?? routes.find((r) => r.path === "$default");
      if (!route) return jsonResponse(404, { message: "Not Found" }, corsHeaders(req));
      if (route.iam) {
        const verdict = await verifySigV4(req, credentials, runtime.region);
        if (!verdict.ok) return jsonResponse(403, { message: verdict.message }, corsHeaders(req));
      }
      if (bucket && !bucket.take()) return jsonResponse(429, { message: "Too Many Requests" }, corsHeaders(req));
      const headers = flatHeaders(req);
      const binary = req.body.length > 0 && !isTextContent(headers["content-type"]);
      const query: Record<string, string> = {};
      for (const [k, v] of req.url.searchParams) query[k] = query[k] === undefined ? v : `${query[k]},${v}`;
      const requestId = randomUUID();
      const now = Date.now();
      const cookies = headers.cookie?.split(/;\s*/);
      delete headers.cookie;
      const event: APIGatewayProxyEventV2 = {
        version: "2.0",
        routeKey: route.routeKey,
        rawPath: req.url.pathname,
        rawQueryString: req.url.search.replace(/^\?/, ""),
        cookies,
        headers,
        queryStringParameters: Object.keys(query).length ? query : undefined,
        requestContext: {
          accountId: ACCOUNT_ID,
          apiId: "local",
          domainName: headers.host ?? "127.0.0.1",
          domainPrefix: "local",
          http: { method: req.method, path: req.url.pathname, protocol: "HTTP/1.1", sourceIp: req.sourceIp, userAgent: headers["user-agent"] ?? "" },
          requestId,
          routeKey: route.routeKey,
          stage: stageName,
          time: new Date(now).toUTCString(),
          timeEpoch: now,
          // Only a verified signature gets here on an AWS_IAM route: its caller, as API Gateway names it.
          ...(route.iam ? { authorizer: { iam: caller } } : {}),
        },
        body: req.body.length === 0 ? undefined : binary ? req.body.toString("base64") : req.body.toString("utf8"),
        isBase64Encoded: binary,
      };
      let result: APIGatewayProxyStructuredResultV2 | string;
      try {
        result = await runtime.functions.get(route.functionName)!.invoke<APIGatewayProxyStructuredResultV2 | string>(event);
      } catch {
        return jsonResponse(500, { message: "Internal Server Error" }, corsHeaders(req));
      }
      // Payload 2.0: a result without statusCode is a 200 JSON body.
      if (typeof result !== "object" || result === null || result.statusCode === undefined) {
        return { status: 200, headers: { "content-type": "application/json", ...corsHeaders(req) }, body: JSON.stringify(result) };
      }
      const out: Record<string, string | string[]> = { ...corsHeaders(req) };
      for (const [k, v] of Object.entries(result.headers ?? {})) out[k.toLowerCase()] = String(v);
      if (result.cookies?.length) out["set-cookie"] = result.cookies;
      const body = result.isBase64Encoded ? Buffer.from(result.body ?? "", "base64") : (result.body ?? "");
      return { status: result.statusCode, headers: out, body };
    },
  };
}
