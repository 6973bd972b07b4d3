/**
 * One request followed through `npm run local` (support/local-server.ts), as
 * a client sees it: the id the front door answers with is on every log line
 * of every function on its way (and each of those lines is of the one shape),
 * and on the item stored, or on the request delivered upstream.
 */
import { createHmac } from "node:crypto";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import { FAKE_CREDENTIALS, REGION } from "../tools/emulator/engines";
import { CORRELATION_HEADER } from "../handlers/shared/outcomes";
import { LOG_KEYS } from "./support/log-shape";
import { type LocalServer, startLocalServer, stopLocalServer, until } from "./support/local-server";
import { sharedSynthDir } from "./support/synth";

const synthDir = sharedSynthDir("app");

/** The functions' JSON lines the server printed (`  | <level> {...}`). */
function handlerLines(server: LocalServer): Record<string, unknown>[] {
  return [...server.out().matchAll(/^ {2}\| \w+ (\{.*\})$/gm)].map((m) => JSON.parse(m[1]) as Record<string, unknown>);
}

/** The lines that name `id`, each of the one shape, naming it as its correlation id or among its batch's. */
function linesOf(server: LocalServer, id: string): Record<string, unknown>[] {
  const lines = handlerLines(server).filter((line) => JSON.stringify(line).includes(id));
  for (const line of lines) {
    for (const key of LOG_KEYS) expect(typeof line[key]).toBe("string");
    expect(line.correlation_id === id || (Array.isArray(line.correlation_ids) && line.correlation_ids.includes(id))).toBe(true);
  }
  return lines;
}

async function scan(server: LocalServer, table: string): Promise<Record<string, string>[]> {
  const dynamo = new DynamoDBClient({ endpoint: server.line(/DynamoDB +(\S+)/), region: REGION, credentials: FAKE_CREDENTIALS });
  try {
    const items = (await dynamo.send(new ScanCommand({ TableName: table, ConsistentRead: true }))).Items ?? [];
    return items.map((item) => Object.fromEntries(Object.entries(item).map(([k, v]) => [k, String(v.S ?? v.N ?? "")])));
  } finally {
    dynamo.destroy();
  }
}

it("kinesis-ingest: the REST API's request id (x-amzn-RequestId) is the record's partition key, on the consumer's lines and the stored item", async () => {
  const server = await startLocalServer(["kinesis-ingest"], synthDir);
  try {
    const answer = await fetch(server.url, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": server.line(/API key \(send as x-api-key\): (\S+)/) },
      body: JSON.stringify({ message: "followed" }),
    });
    expect(answer.status).toBe(200);
    const id = answer.headers.get("x-amzn-requestid") ?? "";
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const table = server.line(/tables: (\S+)/);
    const item = await until(async () => (await scan(server, table)).find((i) => i.CorrelationId === id), "the item of the request", 30_000);
    expect(item.Message).toBe("followed");
    const lines = await until(() => {
      const found = linesOf(server, id);
      return found.some((l) => l.event === "batch_done") ? found : undefined;
    }, "the consumer's line naming the request");
    expect(new Set(lines.map((l) => l.service))).toEqual(new Set(["kinesis-ingest"]));
  } finally {
    expect(await stopLocalServer(server)).toBe(0);
  }
});

it("webhook-proxy: the HTTP API's request id is answered, logged by both functions and sent upstream", async () => {
  const received: http.IncomingHttpHeaders[] = [];
  const upstream = http.createServer((req, res) => {
    received.push(req.headers);
    req.resume();
    req.on("end", () => res.writeHead(204).end());
  });
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  const server = await startLocalServer(["webhook-proxy", "--upstream", `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`], synthDir);
  try {
    const body = '{"event":"followed"}';
    const signature = `sha256=${createHmac("sha256", server.line(/with the local secret (\S+)/)).update(body).digest("hex")}`;
    const answer = await fetch(`${server.url}/`, { method: "POST", headers: { "content-type": "application/json", "x-hub-signature-256": signature }, body });
    expect(answer.status).toBe(202);
    const id = answer.headers.get(CORRELATION_HEADER) ?? "";
    expect(id).not.toBe("");
    const delivered = await until(() => received.find((h) => h[CORRELATION_HEADER] === id), "the delivery upstream", 30_000);
    expect(delivered["content-type"]).toBe("application/json");
    const lines = await until(() => {
      const found = linesOf(server, id);
      return found.some((l) => l.event === "delivered") ? found : undefined;
    }, "sqs2upstream's delivered line");
    // Both functions: api2sqs queued it, sqs2upstream delivered it.
    expect(lines.map((l) => l.event)).toEqual(expect.arrayContaining(["webhook_queued", "delivered"]));
  } finally {
    expect(await stopLocalServer(server)).toBe(0);
    await new Promise((resolve) => upstream.close(resolve));
  }
});

it("translate-api: the REST API's request id is answered in x-correlation-id and written on the history item", async () => {
  const server = await startLocalServer(["translate-api"], synthDir);
  try {
    const key = /API key \(send as x-api-key\): (\S+)/.exec(server.out())?.[1];
    const answer = await fetch(`${server.url}/translate?input_text=${encodeURIComponent("こんにちは")}`, { headers: key ? { "x-api-key": key } : {} });
    expect(answer.status).toBe(200);
    const id = answer.headers.get(CORRELATION_HEADER) ?? "";
    expect(answer.headers.get("x-amzn-requestid")).toBe(id);
    const item = await until(async () => (await scan(server, server.line(/tables: (\S+)/))).find((i) => i.correlation_id === id), "the history item");
    expect(item.input_text).toBe("こんにちは");
    expect(linesOf(server, id).length).toBeGreaterThan(0);
  } finally {
    expect(await stopLocalServer(server)).toBe(0);
  }
});
