/**
 * `npm run local -- <stack>` as a user runs it: a child process serving the
 * synthesized stack (archive packaging, the bundled handlers), driven by real
 * clients with only the URL changed: seed 000's send_api.py (Python
 * `requests`), curl, and the AWS SDK's SigV4 signer. Each server is stopped
 * by a signal and must exit cleanly, its engines gone with it.
 */
import { createHmac } from "node:crypto";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { DynamoDBClient, PutItemCommand, ScanCommand } from "@aws-sdk/client-dynamodb";
import { ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { SignatureV4 } from "@smithy/signature-v4";
import { FAKE_CREDENTIALS, REGION } from "../tools/emulator/engines";
import { STACK_IDS } from "../main";
import { LOCAL_STACKS, parseArgs, synthesizedStack } from "../tools/local";
import { serve } from "../tools/local/server";
import { type LocalServer, refused, startLocalServer, stopLocalServer, until } from "./support/local-server";
import { sharedSynthDir } from "./support/synth";
import { NodeSha256 } from "../tools/local/sigv4";

const ROOT = path.join(__dirname, "..");

const hasPythonRequests = spawnSync("python3", ["-c", "import requests"]).status === 0;
const hasCurl = spawnSync("curl", ["--version"]).status === 0;
if (!hasPythonRequests) console.warn("SKIPPED: send_api.py test needs python3 with the `requests` package (pip install requests)");
if (!hasCurl) console.warn("SKIPPED: curl tests need the curl CLI on PATH");

/** The test run's shared synth of the app (archive packaging, the defaults): what `npm run synth` writes. */
const synthDir = sharedSynthDir("app");

const engineEndpoints = (server: LocalServer): string[] => [...server.out().matchAll(/^ {2}(?:DynamoDB|Kinesis|SQS|Translate) +(http:\/\/127\.0\.0\.1:\d+)/gm)].map((m) => m[1]);

function curl(args: string[]): { status: number; headers: string; body: string } {
  const out = spawnSync("curl", ["-s", "-i", "--max-time", "10", ...args], { encoding: "utf8" });
  const [head, ...rest] = out.stdout.split(/\r?\n\r?\n/);
  return { status: Number(/^HTTP\/[\d.]+ (\d+)/.exec(head)?.[1] ?? 0), headers: head, body: rest.join("\n\n") };
}

describe("npm run local: usage errors", () => {
  it("names the stacks for an unknown one, offers synth when the stack is not synthesized, refuses bad options", () => {
    const unknown = spawnSync(process.execPath, ["--require", "tsx/cjs", "tools/local/index.ts", "no-such-stack"], { cwd: ROOT, encoding: "utf8" });
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/unknown stack "no-such-stack".*kinesis-ingest/);
    expect(LOCAL_STACKS).toEqual(STACK_IDS);
    expect(() => synthesizedStack(path.join(synthDir, "nothing-here"), "kinesis-ingest")).toThrow(/not synthesized.*npm run synth/);
    expect(() => parseArgs(["kinesis-ingest", "--fault", "meteor"])).toThrow(/unknown fault "meteor"/);
    expect(() => parseArgs(["kinesis-ingest", "--port", "70000"])).toThrow(/--port must be/);
  });

  it("checks the configuration as synth does, and serves only a synth output made with the one given", () => {
    const local = (env: NodeJS.ProcessEnv) =>
      spawnSync(process.execPath, ["--require", "tsx/cjs", "tools/local/index.ts", "kinesis-ingest", "--port", "0", "--synth-dir", synthDir], {
        cwd: ROOT,
        encoding: "utf8",
        env: { ...process.env, ...env },
        timeout: 30_000,
      });
    const bad = local({ APP_ENV: "Bad Env" });
    expect([bad.status, bad.stdout]).toEqual([2, ""]);
    expect(bad.stderr.trim().split("\n")).toEqual([expect.stringMatching(/^configuration: APP_ENV must be /)]);
    // The shared synth is dev's: asked for prod, the server refuses rather than serve dev's resources as prod's.
    const other = local({ APP_ENV: "prod", AWS_REGION: "us-east-1" });
    expect([other.status, other.stdout]).toEqual([1, ""]);
    expect(other.stderr.trim()).toMatch(/^local: .*kinesis-ingest\/cdk\.tf\.json was synthesized with APP_ENV=dev, AWS_REGION=ap-northeast-1, not the configuration given \(APP_ENV=prod, AWS_REGION=us-east-1\)/);
  });

  it("says which port is in use", async () => {
    const busy = http.createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    const port = (busy.address() as AddressInfo).port;
    try {
      await expect(serve(port, async () => ({ status: 200 }), () => undefined)).rejects.toThrow(new RegExp(`port ${port} on 127.0.0.1 is in use.*--port`));
    } finally {
      busy.close();
    }
  });
});

describe("kinesis-ingest", () => {
  (hasPythonRequests ? it : it.skip)("stores each of send_api.py's requests exactly once, and stops on SIGINT with its engines", async () => {
    const server = await startLocalServer(["kinesis-ingest"], synthDir);
    try {
      const count = 12;
      const run = spawnSync("python3", [path.join(__dirname, "fixtures", "send_api.py")], {
        env: { ...process.env, API_ENDPOINT: server.url, NUM_REQUESTS: String(count), API_KEY: server.line(/API key \(send as x-api-key\): (\S+)/) },
        encoding: "utf8",
      });
      const statuses = run.stdout.trim().split("\n").map((l) => /status_code=(\S+),/.exec(l)?.[1]);
      expect(statuses).toEqual(Array.from({ length: count }, () => "200"));
      const dynamo = new DynamoDBClient({ endpoint: server.line(/DynamoDB +(\S+)/), region: REGION, credentials: FAKE_CREDENTIALS });
      const table = server.line(/tables: (\S+)/);
      const messages = await until(async () => {
        const items = (await dynamo.send(new ScanCommand({ TableName: table, ConsistentRead: true }))).Items ?? [];
        return items.length >= count ? items.map((i) => i.Message?.S) : undefined;
      });
      dynamo.destroy();
      expect(messages.sort()).toEqual(Array.from({ length: count }, (_, i) => `Test message ${i}`).sort());
      expect(server.out()).toMatch(/^POST \/dev 200 [\d.]+ms$/m);
    } finally {
      const endpoints = engineEndpoints(server);
      expect(await stopLocalServer(server, "SIGINT")).toBe(0);
      expect(endpoints.length).toBe(3);
      for (const endpoint of endpoints) expect(await refused(endpoint)).toBe(true);
    }
  });
});

describe("kinesis-ingest with API keys and faults", () => {
  (hasCurl ? it : it.skip)("requires the printed x-api-key, and under poison and throttling stores or dead-letters every record", async () => {
    // The stack itself requires a key on POST / (callerAuth "api-key", the default); the server enforces what it synthesized.
    const json = JSON.parse(readFileSync(path.join(synthDir, "stacks", "kinesis-ingest", "cdk.tf.json"), "utf8")) as {
      resource: Record<string, Record<string, Record<string, unknown>>>;
    };
    expect(Object.values(json.resource.aws_api_gateway_method).map((m) => m.api_key_required)).toEqual([true]);
    const child = await startLocalServer(["kinesis-ingest", "--fault", "poison=0.3", "--fault", "throttle=0.3"], synthDir);
    try {
      const key = child.line(/API key \(send as x-api-key\): (\S+)/);
      const post = (i: number, extra: string[] = []): number =>
        curl(["-X", "POST", "-H", "content-type: application/json", ...extra, "-d", `{"index": ${i}, "message": "Test message ${i}"}`, child.url]).status;
      expect(post(0)).toBe(403);
      expect(post(0, ["-H", "x-api-key: wrong"])).toBe(403);
      const count = 10;
      for (let i = 0; i < count; i++) expect(post(i, ["-H", `x-api-key: ${key}`])).toBe(200);

      const dynamo = new DynamoDBClient({ endpoint: child.line(/DynamoDB +(\S+)/), region: REGION, credentials: FAKE_CREDENTIALS });
      const sqs = new SQSClient({ endpoint: child.line(/SQS +(\S+)/), region: REGION, credentials: FAKE_CREDENTIALS });
      const queueUrl = `${child.line(/SQS +(\S+)/)}/123456789012/${child.line(/queues: (\S+)/)}`;
      let deadLettered = 0;
      const stored = await until(async () => {
        const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 600 }));
        for (const m of got.Messages ?? []) deadLettered += (JSON.parse(m.Body ?? "{}") as { KinesisBatchInfo: { batchSize: number } }).KinesisBatchInfo.batchSize;
        const items = (await dynamo.send(new ScanCommand({ TableName: child.line(/tables: (\S+)/), ConsistentRead: true }))).Items ?? [];
        return items.length + deadLettered === count ? items.length : undefined;
      }, "every record written or dead-lettered", 30_000);
      dynamo.destroy();
      sqs.destroy();
      // Poison records can never be stored: they end in the DLQ; the rest are stored despite throttling.
      expect(deadLettered).toBeGreaterThan(0);
      expect(stored).toBeGreaterThan(0);
    } finally {
      expect(await stopLocalServer(child, "SIGTERM")).toBe(0);
    }
  });
});

describe("event-log-api", () => {
  let server: LocalServer;
  beforeAll(async () => {
    server = await startLocalServer(["event-log-api"], synthDir);
  }, 60_000);
  afterAll(async () => {
    expect(await stopLocalServer(server, "SIGTERM")).toBe(0);
  });

  const signed = async (accessKeyId: string, secretAccessKey: string, body: string): Promise<{ headers: Record<string, string>; url: URL }> => {
    const url = new URL("/events", server.url);
    const signer = new SignatureV4({ credentials: { accessKeyId, secretAccessKey }, region: REGION, service: "execute-api", sha256: NodeSha256 });
    const request = await signer.sign({
      method: "POST",
      protocol: "http:",
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      query: {},
      headers: { host: url.host, "content-type": "application/json" },
      body,
    });
    return { headers: request.headers, url };
  };
  const post = (url: URL, headers: Record<string, string>, body: string): Promise<Response> => fetch(url, { method: "POST", headers, body });

  it("accepts a request SigV4-signed with the printed credentials, refuses a wrong key or a tampered body with 403", async () => {
    const accessKeyId = server.line(/AWS_ACCESS_KEY_ID=(\S+)/);
    const secret = server.line(/AWS_SECRET_ACCESS_KEY=(\S+)/);
    const body = JSON.stringify({ date: "2024-05-01", time: "12:00:00", userId: "local-user", eventType: "login" });
    const good = await signed(accessKeyId, secret, body);
    const accepted = await post(good.url, good.headers, body);
    expect(accepted.status).toBeLessThan(300);

    const wrong = await signed(accessKeyId, "not-the-secret", body);
    expect((await post(wrong.url, wrong.headers, body)).status).toBe(403);
    const tampered = await post(good.url, good.headers, body.replace("login", "admin"));
    expect(tampered.status).toBe(403);
    expect(((await tampered.json()) as { message: string }).message).toMatch(/does not match/);
  });

  (hasCurl ? it : it.skip)("refuses an unsigned curl with 403 and answers the CORS preflight as configured", () => {
    expect(curl([`${server.url}/events`]).status).toBe(403);
    const preflight = curl(["-X", "OPTIONS", "-H", "Origin: https://app.example.com", "-H", "Access-Control-Request-Method: POST", `${server.url}/events`]);
    expect(preflight.status).toBe(204);
    expect(preflight.headers).toMatch(/access-control-allow-methods: GET,POST/i);
  });
});

(hasCurl ? describe : describe.skip)("curl against the other stacks", () => {
  it("webhook-proxy: POST / reaches the echo upstream through the queue, byte for byte", async () => {
    const server = await startLocalServer(["webhook-proxy"], synthDir);
    try {
      const body = '{"event":"delivered","note":"配信完了"}';
      // The stack checks each webhook's signature (GitHub's scheme by default) with a secret the banner prints.
      const secret = server.line(/with the local secret (\S+)/);
      const signature = `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
      const post = (headers: string[]): number =>
        curl(["-X", "POST", "-H", "content-type: application/json", ...headers, "--data-binary", body, `${server.url}/?source=curl`]).status;
      expect(post([])).toBe(401);
      expect(post(["-H", `x-hub-signature-256: sha256=${"0".repeat(64)}`])).toBe(401);
      expect(post(["-H", `x-hub-signature-256: ${signature}`])).toBe(202);
      await until(async () => (server.out().includes(`upstream <- POST /?source=curl application/json ${Buffer.byteLength(body)} B: ${body}`) ? true : undefined));
    } finally {
      expect(await stopLocalServer(server)).toBe(0);
    }
  });

  it("media-alb: rules forward to the functions, 404 by default, HTTP answered with the redirect to HTTPS", async () => {
    const server = await startLocalServer(["media-alb"], synthDir);
    try {
      // Each rule reaches its own function, which reads its own table (both functions read TABLE_NAME).
      const dynamo = new DynamoDBClient({ endpoint: server.line(/DynamoDB +(\S+)/), region: REGION, credentials: FAKE_CREDENTIALS });
      await dynamo.send(new PutItemCommand({ TableName: "dev-MediaConvertJobIdToStatus", Item: { JobId: { S: "job-1" }, JobStatus: { S: "PROGRESSING" }, ProgressRate: { N: "42" } } }));
      await dynamo.send(new PutItemCommand({ TableName: "dev-MediaConvertInputFileToJobId", Item: { InputFile: { S: "a.mp4" }, JobId: { S: "job-1" } } }));
      dynamo.destroy();
      const status = curl([`${server.url}/media/status?job_id=job-1`]);
      expect(status.status).toBe(200);
      expect(status.headers).toMatch(/access-control-allow-origin: \*/i);
      expect(JSON.parse(status.body)).toMatchObject({ job_status: "PROGRESSING", progress_rate: 42 });
      const jobId = curl([`${server.url}/media/job_id?input_file=a.mp4`]);
      expect(jobId.status).toBe(200);
      expect(jobId.body).toContain("job-1");
      const missing = curl([`${server.url}/elsewhere`]);
      expect(missing.status).toBe(404);
      expect(JSON.parse(missing.body)).toEqual({ message: "Not Found" });
      const plain = curl([`${server.line(/HTTP listener \(port 80\): (\S+)/)}/media/job_id?input_file=a.mp4`]);
      expect(plain.status).toBe(301);
      expect(plain.headers).toMatch(/location: https:\/\/127\.0\.0\.1:443\/media\/job_id\?input_file=a\.mp4/i);
    } finally {
      expect(await stopLocalServer(server)).toBe(0);
    }
  });

  it("translate-api: validator, MOCK route, and the labelled Translate stand-in", async () => {
    const server = await startLocalServer(["translate-api"], synthDir);
    try {
      const mock = curl([`${server.url}/mock`]);
      expect(mock.status).toBe(200); // the MOCK route needs no key
      expect(JSON.parse(mock.body)).toHaveProperty("output_text");
      const key = ["-H", `x-api-key: ${server.line(/API key \(send as x-api-key\): (\S+)/)}`];
      expect(curl([`${server.url}/translate?input_text=x`]).status).toBe(403);
      expect(curl([...key, `${server.url}/translate`]).status).toBe(400);
      expect(curl([...key, "-X", "POST", "-H", "content-type: application/json", "-d", '{"input_text":"x","extra":1}', `${server.url}/translate`]).status).toBe(400);
      // The key's usage plan allows 1 request/s, burst 2 (as API Gateway, checked before the validator):
      // the third keyed request may find the bucket empty, so ask again while it answers 429.
      const translated = await until(async () => {
        const answer = curl([...key, `${server.url}/translate?input_text=${encodeURIComponent("こんにちは")}&target=en`]);
        return answer.status === 429 ? undefined : answer;
      });
      expect(translated.status).toBe(200);
      expect(translated.body).toMatch(/local pseudo-translation/);
      const dynamo = new DynamoDBClient({ endpoint: server.line(/DynamoDB +(\S+)/), region: REGION, credentials: FAKE_CREDENTIALS });
      const history = await until(async () => {
        const items = (await dynamo.send(new ScanCommand({ TableName: server.line(/tables: (\S+)/), ConsistentRead: true }))).Items ?? [];
        return items.length > 0 ? items : undefined;
      });
      dynamo.destroy();
      expect(JSON.stringify(history)).toContain("こんにちは");
    } finally {
      expect(await stopLocalServer(server)).toBe(0);
    }
  });
});
