/**
 * Request events of the media-alb handler tests, shaped as the ALB and an API
 * Gateway HTTP API send them. The local DynamoDB is `../support/local-aws`.
 */
import type { ALBEvent, APIGatewayProxyEventV2 } from "aws-lambda";

/** One HTTP request, as a client sends it: the query string raw (URL-encoded) as on the wire. */
export interface HttpRequest {
  readonly method?: string;
  readonly path: string;
  /** e.g. `input_file=Big+Buck+Bunny.mp4`; empty for none. */
  readonly rawQuery?: string;
  readonly headers?: Record<string, string>;
}

function pairs(rawQuery: string): [string, string][] {
  return rawQuery
    .split("&")
    .filter((part) => part !== "")
    .map((part) => {
      const at = part.indexOf("=");
      return at < 0 ? [part, ""] : [part.slice(0, at), part.slice(at + 1)];
    });
}

const baseHeaders = (extra: Record<string, string> | undefined): Record<string, string> => ({
  host: "api-lb.example.com",
  "user-agent": "curl/8.5.0",
  accept: "*/*",
  "x-forwarded-proto": "https",
  ...Object.fromEntries(Object.entries(extra ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
});

/**
 * What the ALB sends a `lambda` target (single-value mode): `httpMethod`,
 * query keys and values exactly as on the wire (not decoded; a repeated key
 * keeps its last value), `{}` for no query string, lower-case header names.
 */
export function albEvent(request: HttpRequest): ALBEvent {
  return {
    requestContext: { elb: { targetGroupArn: "arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:targetgroup/dev-media-job-id/0123456789abcdef" } },
    httpMethod: request.method ?? "GET",
    path: request.path,
    queryStringParameters: Object.fromEntries(pairs(request.rawQuery ?? "")),
    headers: baseHeaders(request.headers),
    body: "",
    isBase64Encoded: false,
  };
}

/**
 * What an API Gateway HTTP API (payload 2.0) sends: the method under
 * `requestContext.http`, query values decoded (`%20` as the seed shows, and `+`
 * a space too, as reported in aws/aws-cdk#19827; repeated keys joined with `,`),
 * no `queryStringParameters` without a query string.
 */
export function httpApiEvent(request: HttpRequest): APIGatewayProxyEventV2 {
  const method = request.method ?? "GET";
  const query: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(request.rawQuery ?? "")) {
    query[key] = key in query ? `${query[key]},${value}` : value;
  }
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: request.path,
    rawQueryString: request.rawQuery ?? "",
    headers: baseHeaders(request.headers),
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: "123456789012",
      apiId: "abcdef1234",
      domainName: "abcdef1234.execute-api.ap-northeast-1.amazonaws.com",
      domainPrefix: "abcdef1234",
      http: { method, path: request.path, protocol: "HTTP/1.1", sourceIp: "203.0.113.10", userAgent: "curl/8.5.0" },
      requestId: "request-id",
      routeKey: "$default",
      stage: "$default",
      time: "24/Jan/2025:00:00:00 +0000",
      timeEpoch: 1737676800000,
    },
    isBase64Encoded: false,
  };
}
