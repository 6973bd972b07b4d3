/** API Gateway REST (Lambda proxy) events, shaped as API Gateway sends them for /translate. */
import type { APIGatewayProxyEvent } from "aws-lambda";

export function restEvent(overrides: Partial<APIGatewayProxyEvent> = {}): APIGatewayProxyEvent {
  return {
    resource: "/translate",
    path: "/translate",
    httpMethod: "GET",
    headers: {},
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: null,
    isBase64Encoded: false,
    requestContext: {
      accountId: "123456789012",
      apiId: "abcdef1234",
      authorizer: null,
      protocol: "HTTP/1.1",
      httpMethod: overrides.httpMethod ?? "GET",
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: "203.0.113.10",
        user: null,
        userAgent: "jest",
        userArn: null,
      },
      path: "/dev/translate",
      stage: "dev",
      requestId: "request-id",
      requestTimeEpoch: 0,
      resourceId: "abc123",
      resourcePath: "/translate",
    },
    ...overrides,
  };
}

/** `GET /translate?...`; a repeated name (array value) appears in the multi-value map as API Gateway does. */
export function getEvent(query: Record<string, string | string[]>): APIGatewayProxyEvent {
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(query)) {
    const values = Array.isArray(value) ? value : [value];
    single[name] = values[values.length - 1];
    multi[name] = values;
  }
  const empty = Object.keys(query).length === 0;
  return restEvent({
    httpMethod: "GET",
    queryStringParameters: empty ? null : single,
    multiValueQueryStringParameters: empty ? null : multi,
  });
}

/** `POST /translate` with a body (an object is JSON-encoded) and headers. */
export function postEvent(body: unknown, headers: Record<string, string> = { "Content-Type": "application/json" }): APIGatewayProxyEvent {
  return restEvent({
    httpMethod: "POST",
    headers,
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}
