/**
 * event-log-api through `npm run local` (a child process, support/local-server.ts): a
 * request SigV4-signed with the printed credentials reaches the function with its caller in
 * `requestContext.authorizer.iam`, as API Gateway passes it on an AWS_IAM route, so the
 * stored item names who signed it (`callerArn`), beside the `userId` the body claims.
 */
import { DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import { SignatureV4 } from "@smithy/signature-v4";
import { FAKE_CREDENTIALS, REGION } from "../tools/emulator/engines";
import { localCaller } from "../tools/local/http-api";
import { type LocalCredentials, NodeSha256 } from "../tools/local/sigv4";
import { type LocalServer, startLocalServer, stopLocalServer } from "./support/local-server";
import { sharedSynthDir } from "./support/synth";

let server: LocalServer;
let credentials: LocalCredentials;
beforeAll(async () => {
  server = await startLocalServer(["event-log-api"], sharedSynthDir("app"));
  credentials = { accessKeyId: server.line(/AWS_ACCESS_KEY_ID=(\S+)/), secretAccessKey: server.line(/AWS_SECRET_ACCESS_KEY=(\S+)/) };
}, 60_000);
afterAll(async () => {
  if (server) expect(await stopLocalServer(server, "SIGTERM")).toBe(0);
});

/** A request signed as the AWS SDK signs it (service execute-api, the stack's region). */
async function signedFetch(method: "GET" | "POST", pathAndQuery: string, body?: string): Promise<Response> {
  const url = new URL(pathAndQuery, server.url);
  const signer = new SignatureV4({ credentials, region: REGION, service: "execute-api", sha256: NodeSha256 });
  const request = await signer.sign({
    method,
    protocol: "http:",
    hostname: url.hostname,
    port: Number(url.port),
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers: { host: url.host, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body,
  });
  return fetch(url, { method, headers: request.headers, body });
}

test("a signed POST stores the signing caller's ARN as callerArn; GET answers it; the banner names the caller", async () => {
  const caller = localCaller(credentials);
  expect(caller.accessKey).toBe(credentials.accessKeyId);
  expect(server.out()).toContain(`SigV4-signed requests only, as ${caller.userArn}`);

  const event = { date: "2024-06-01", time: "09:30:00", userId: "claimed-by-the-body", eventType: "login" };
  const posted = await signedFetch("POST", "/events", JSON.stringify(event));
  expect(posted.status).toBeLessThan(300);

  const read = await signedFetch("GET", `/events?date=${event.date}`);
  expect(read.status).toBe(200);
  const items = ((await read.json()) as { Items: Array<Record<string, unknown>> }).Items;
  expect(items).toEqual([expect.objectContaining({ ...event, callerArn: caller.userArn })]);

  // And on the stored item itself, in the local DynamoDB the banner names.
  const dynamo = new DynamoDBClient({ endpoint: server.line(/DynamoDB +(\S+)/), region: REGION, credentials: FAKE_CREDENTIALS });
  try {
    const table = server.line(/DynamoDB +\S+ +tables: (\S+)/);
    const stored = (await dynamo.send(new ScanCommand({ TableName: table }))).Items ?? [];
    expect(stored.map((item) => item.callerArn?.S)).toEqual([caller.userArn]);
  } finally {
    dynamo.destroy();
  }
});
