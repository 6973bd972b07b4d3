/**
 * `npm run local` beyond the default synth (local.test.ts covers that one):
 * - an `OFFLINE=1` synth (asset packaging: each function's bundle is only a
 *   `code.zip`) is served, its functions loaded from the zips;
 * - a synth for another region (`AWS_REGION=us-east-1`) takes SigV4
 *   signatures for that region, the provider's, and prints it;
 * - the REST APIs' usage plans are enforced per API key (throttle and quota),
 *   answering 429 as API Gateway does;
 * - a SIGTERM to the `npm run local` process itself reaches the server (which
 *   the script execs in place of npm's shell) and stops it and its engines.
 */
import { spawn } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { SignatureV4 } from "@smithy/signature-v4";
import { loadDeployment } from "../config";
import { App } from "cdktf";
import { EventLogApiStack } from "../stacks/event-log-api";
import { FAKE_CREDENTIALS, REGION } from "../tools/emulator/engines";
import { loadHandler } from "../tools/emulator/handler";
import { functionCode, readStack, resources, scratchDir } from "../tools/emulator/synth";
import { NodeSha256 } from "../tools/local/sigv4";
import { readApiKeys } from "../tools/local/usage-plans";
import { attachLocalServer, type LocalServer, refused, startLocalServer, stopLocalServer, until } from "./support/local-server";
import { sharedSynthDir } from "./support/synth";

const ROOT = path.join(__dirname, "..");

/** The run's OFFLINE=1 synth: supplied lookups, asset packaging. */
const offlineDir = sharedSynthDir("offline");

describe("an OFFLINE=1 synth (asset packaging)", () => {
  it("holds each function's bundle only as code.zip, which the replays' loader loads", () => {
    const stack = readStack(offlineDir, "media-alb");
    const functions = resources(stack, "aws_lambda_function");
    expect(functions.length).toBe(2);
    const scratch = scratchDir("local-packaging-");
    try {
      for (const [name, fn] of functions) {
        expect(String(fn.filename)).toMatch(/code\.zip$/);
        // The path as the replays and the bench pass it (the zip itself), and functionCode's answer as npm run local does.
        expect(typeof loadHandler(functionCode(stack, fn).file, scratch, name)).toBe("function");
        expect(typeof loadHandler(functionCode(stack, fn), scratch, name)).toBe("function");
      }
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it("media-alb: served from the zips, a rule reaches its function", async () => {
    const s = await startLocalServer(["media-alb"], offlineDir);
    try {
      const dynamo = new DynamoDBClient({ endpoint: s.line(/DynamoDB +(\S+)/), region: REGION, credentials: FAKE_CREDENTIALS });
      await dynamo.send(new PutItemCommand({ TableName: "dev-MediaConvertJobIdToStatus", Item: { JobId: { S: "job-9" }, JobStatus: { S: "COMPLETE" }, ProgressRate: { N: "100" } } }));
      dynamo.destroy();
      const answer = await fetch(`${s.url}/media/status?job_id=job-9`);
      expect(answer.status).toBe(200);
      expect(await answer.json()).toMatchObject({ job_status: "COMPLETE", progress_rate: 100 });
    } finally {
      expect(await stopLocalServer(s)).toBe(0);
    }
  });
});

describe("a synth for us-east-1 (AWS_REGION=us-east-1)", () => {
  let synthDir: string;
  let s: LocalServer;
  beforeAll(async () => {
    synthDir = mkdtempSync(path.join(tmpdir(), "local-region-"));
    // The one stack served, not the app.
    const app = new App({ outdir: synthDir });
    new EventLogApiStack(app, "event-log-api", { deployment: loadDeployment({ AWS_REGION: "us-east-1" }) });
    app.synth();
    s = await startLocalServer(["event-log-api"], synthDir);
  }, 60_000);
  afterAll(async () => {
    if (s) expect(await stopLocalServer(s, "SIGTERM")).toBe(0);
    rmSync(synthDir, { recursive: true, force: true });
  });

  const signedGet = async (region: string): Promise<Response> => {
    const url = new URL("/events?date=2024-05-01", s.url);
    const credentials = { accessKeyId: s.line(/AWS_ACCESS_KEY_ID=(\S+)/), secretAccessKey: s.line(/AWS_SECRET_ACCESS_KEY=(\S+)/) };
    const signer = new SignatureV4({ credentials, region, service: "execute-api", sha256: NodeSha256 });
    const request = await signer.sign({
      method: "GET",
      protocol: "http:",
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      query: { date: "2024-05-01" },
      headers: { host: url.host },
    });
    return fetch(url, { headers: request.headers });
  };

  it("prints the provider's region and accepts a request signed for it", async () => {
    const provider = (JSON.parse(readFileSync(path.join(synthDir, "stacks", "event-log-api", "cdk.tf.json"), "utf8")) as { provider: { aws: { region: string }[] } }).provider.aws;
    expect(provider.map((p) => p.region)).toEqual(["us-east-1"]);
    expect(s.line(/AWS_REGION=(\S+)/)).toBe("us-east-1");
    const accepted = await signedGet("us-east-1");
    expect(accepted.status).toBe(200);
    expect(await accepted.json()).toEqual({ items: [], Items: [], Count: 0 }); // the seed's fields beside ours (event-log-api README)
  });

  it("refuses a request signed for the project's default region instead", async () => {
    const refusedAnswer = await signedGet("ap-northeast-1");
    expect(refusedAnswer.status).toBe(403);
    expect(((await refusedAnswer.json()) as { message: string }).message).toMatch(/'us-east-1', 'execute-api'/);
  });
});

describe("usage plans of a REST API (translate-api: 1 rps, burst 2, 200 a day per key)", () => {
  let synthDir: string;
  beforeAll(() => {
    // Two clients, as `-var 'api_clients=["alpha","beta"]'` would deploy them: a key and a usage plan each.
    synthDir = mkdtempSync(path.join(tmpdir(), "local-plans-"));
    cpSync(path.join(offlineDir, "stacks", "translate-api"), path.join(synthDir, "stacks", "translate-api"), { recursive: true });
    const file = path.join(synthDir, "stacks", "translate-api", "cdk.tf.json");
    const json = JSON.parse(readFileSync(file, "utf8")) as { variable: Record<string, { default?: unknown }> };
    expect(json.variable.api_clients.default).toEqual(["default"]);
    json.variable.api_clients.default = ["alpha", "beta"];
    writeFileSync(file, JSON.stringify(json));
  });
  afterAll(() => rmSync(synthDir, { recursive: true, force: true }));

  it("answers a key past its burst 429 Too Many Requests while another key still gets through", async () => {
    const s = await startLocalServer(["translate-api"], synthDir);
    try {
      const keys = Object.fromEntries([...s.out().matchAll(/API key \(send as x-api-key\): (\S+) {2}\((\w+): usage plan dev-translate-api-\2: 1 rps, burst 2, 200 requests per DAY/g)].map((m) => [m[2], m[1]]));
      expect(Object.keys(keys).sort()).toEqual(["alpha", "beta"]);
      const get = (key: string): Promise<Response> => fetch(`${s.url}/translate?input_text=hello&source=en&target=ja`, { headers: { "x-api-key": key } });
      // Ten at once: the bucket holds two, and refills one a second.
      const burst = await Promise.all(Array.from({ length: 10 }, () => get(keys.alpha)));
      const statuses = burst.map((r) => r.status);
      expect(statuses.filter((x) => x === 200).length).toBeGreaterThanOrEqual(1);
      expect(statuses.filter((x) => x === 429).length).toBeGreaterThanOrEqual(1);
      expect(statuses.every((x) => x === 200 || x === 429)).toBe(true);
      const throttled = burst[statuses.indexOf(429)];
      expect(await throttled.json()).toEqual({ message: "Too Many Requests" });
      // The stage's bucket (10 rps, burst 20) has room: beta's own plan decides, and it is untouched.
      const other = await get(keys.beta);
      expect(other.status).toBe(200);
      expect(await other.text()).toMatch(/local pseudo-translation/);
      expect((await get("local-not-a-key")).status).toBe(403);
    } finally {
      expect(await stopLocalServer(s)).toBe(0);
    }
  });

  it("counts each key's quota: past it, 429 Limit Exceeded", () => {
    const stack = readStack(synthDir, "translate-api");
    const variables = stack.json.variable as Record<string, { default?: unknown }>;
    variables.client_daily_quota.default = 3;
    variables.client_throttling_burst_limit.default = 100;
    const apiKeys = readApiKeys(stack);
    const [alpha, beta] = apiKeys.keys;
    expect(apiKeys.keys.map((k) => k.client)).toEqual(["alpha", "beta"]);
    expect([1, 2, 3].map(() => apiKeys.check(alpha.value))).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
    expect(apiKeys.check(alpha.value)).toEqual({ ok: false, status: 429, message: "Limit Exceeded" });
    expect(apiKeys.check(beta.value)).toEqual({ ok: true });
    expect(apiKeys.check(undefined)).toEqual({ ok: false, status: 403, message: "Forbidden" });
  });
});

describe("SIGTERM to the npm run local process", () => {
  it("stops the server and its engines (no shell left between npm and the server to swallow it)", async () => {
    // Its own process group, so that whatever is left can be found (and, failing the test, cleaned up).
    const child = spawn("npm", ["run", "local", "--", "media-alb", "--port", "0", "--synth-dir", offlineDir], { cwd: ROOT, detached: true });
    const group = child.pid!;
    const alive = (): boolean => {
      try {
        process.kill(-group, 0);
        return true;
      } catch {
        return false;
      }
    };
    try {
      const s = await attachLocalServer(child);
      const endpoints = [s.url, s.line(/HTTP listener \(port 80\): (\S+)/), s.line(/DynamoDB +(\S+)/)];
      for (const endpoint of endpoints) expect(await refused(endpoint)).toBe(false);
      process.kill(child.pid!, "SIGTERM");
      await until(() => (alive() ? undefined : true), "every process of the group gone");
      for (const endpoint of endpoints) expect(await refused(endpoint)).toBe(true);
      expect(s.out()).toMatch(/stopping the entry points, mappings and engines \.\.\.\nstopped/);
    } finally {
      if (alive()) process.kill(-group, "SIGKILL");
    }
  });
});
