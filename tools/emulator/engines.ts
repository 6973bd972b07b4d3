/**
 * Local engines the replays run on, started in-process on 127.0.0.1 with a
 * free port and stopped at the end: dynalite (DynamoDB), kinesalite (Kinesis),
 * local-aws-sqs (SQS), a Parameter Store stand-in (SSM's GetParameter), plus an
 * optional fault-injecting proxy in front of dynalite. dynalite and kinesalite ship no types; their factory type is all we use.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { KinesisClient } from "@aws-sdk/client-kinesis";
import { SQSClient } from "@aws-sdk/client-sqs";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { createSqsServer } from "local-aws-sqs";
import { Random } from "./random";

type EngineFactory = (options: Record<string, unknown>) => http.Server;

export const REGION = "ap-northeast-1";
export const ACCOUNT_ID = "123456789012";
export const FAKE_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" };

export interface Engine {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** Listens on 127.0.0.1:`port` (0: a free port); resolves with the port, rejects with the listen error (EADDRINUSE). */
export async function listenOn(server: http.Server, port = 0): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

export async function listen(server: http.Server): Promise<Engine> {
  const port = await listenOn(server);
  return { endpoint: `http://127.0.0.1:${port}`, stop: () => close(server) };
}

/** A request's body, whole. */
export function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

export function close(server: http.Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections?.();
  });
}

export function startDynalite(): Promise<Engine> {
  const dynalite = require("dynalite") as EngineFactory;
  return listen(dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 }));
}

export function startKinesalite(): Promise<Engine> {
  const kinesalite = require("kinesalite") as EngineFactory;
  return listen(kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 50 }));
}

export async function startSqs(): Promise<Engine> {
  // Port 0 and no 60 s wait before a deleted queue's name can be re-used.
  const server = await createSqsServer({
    port: 0,
    hostname: "127.0.0.1",
    region: REGION,
    accountId: ACCOUNT_ID,
    emulateQueueCreationLifecycle: false,
  });
  const { port } = server.address() as AddressInfo;
  return { endpoint: `http://127.0.0.1:${port}`, stop: () => close(server) };
}

/** The engine of each AWS service the stacks use. */
const ENGINES = { dynamodb: startDynalite, kinesis: startKinesalite, sqs: startSqs } as const;
export type EngineName = keyof typeof ENGINES;

/**
 * Starts the engines of `names`; each is added to `started` as it comes up,
 * so that a failure part-way still lets the caller stop the ones running.
 */
export async function startEngines<N extends EngineName>(names: readonly N[], started: Engine[]): Promise<Record<N, Engine>> {
  const out = {} as Record<N, Engine>;
  for (const name of names) {
    const engine = await ENGINES[name]();
    started.push(engine);
    out[name] = engine;
  }
  return out;
}

/** Requests the Parameter Store stand-in answered, by outcome (tests read them). */
export interface ParameterStoreStats {
  found: number;
  notFound: number;
}

/**
 * SSM Parameter Store's `GetParameter`, as the SDK speaks it (JSON 1.1 protocol,
 * `X-Amz-Target: AmazonSSM.GetParameter`): `parameters` (name -> value) are
 * served as SecureStrings; an unknown name is SSM's `ParameterNotFound` (400).
 * No local SSM engine exists among the project's dependencies, and this one
 * call is all the handlers make.
 */
export async function startParameterStore(
  parameters: Readonly<Record<string, string>>,
  /** Names the stand-in never answers (a stalled SSM), for tests of a caller's time budget. */
  hang: readonly string[] = [],
): Promise<Engine & { stats: ParameterStoreStats }> {
  const stats: ParameterStoreStats = { found: 0, notFound: 0 };
  const server = http.createServer((req, res) => {
    void readBody(req).then((body) => {
      const reply = (status: number, payload: unknown): void => {
        const text = JSON.stringify(payload);
        res.writeHead(status, { "content-type": "application/x-amz-json-1.1", "content-length": String(Buffer.byteLength(text)) }).end(text);
      };
      if (req.headers["x-amz-target"] !== "AmazonSSM.GetParameter") {
        reply(400, { __type: "InvalidAction", message: `unsupported: ${String(req.headers["x-amz-target"])}` });
        return;
      }
      const { Name } = JSON.parse(body.toString("utf8")) as { Name?: string };
      if (Name !== undefined && hang.includes(Name)) return; // no answer; `stop()` closes the connection
      const value = Name === undefined ? undefined : parameters[Name];
      if (value === undefined) {
        stats.notFound++;
        reply(400, { __type: "ParameterNotFound", message: `Parameter ${String(Name)} not found.` });
        return;
      }
      stats.found++;
      reply(200, {
        Parameter: { Name, Type: "SecureString", Value: value, Version: 1, ARN: `arn:aws:ssm:${REGION}:${ACCOUNT_ID}:parameter${Name}` },
      });
    });
  });
  const engine = await listen(server);
  return { ...engine, stats };
}

const clientConfig = (endpoint: string) => ({ endpoint, region: REGION, credentials: FAKE_CREDENTIALS });

export const dynamoClient = (engine: Engine): DynamoDBClient => new DynamoDBClient(clientConfig(engine.endpoint));
export const sqsClient = (engine: Engine): SQSClient => new SQSClient(clientConfig(engine.endpoint));
/** kinesalite speaks HTTP/1.1 only; the SDK's Kinesis client would use HTTP/2 for some calls. */
export const kinesisClient = (engine: Engine): KinesisClient =>
  new KinesisClient({ ...clientConfig(engine.endpoint), requestHandler: new NodeHttpHandler() });

/** Counters of the DynamoDB proxy. */
export interface ProxyStats {
  /** BatchWriteItem requests seen. */
  batchWrites: number;
  /** Put requests answered as UnprocessedItems instead of being written. */
  throttledItems: number;
}

function forward(target: URL, req: http.IncomingMessage, body: Buffer): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const out = http.request(
      { hostname: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, "content-length": String(body.length) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 500, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on("error", reject);
      },
    );
    out.on("error", reject);
    out.end(body);
  });
}

interface BatchWriteBody {
  RequestItems: Record<string, unknown[]>;
}
interface BatchWriteAnswer {
  UnprocessedItems?: Record<string, unknown[]>;
}

/**
 * A proxy in front of dynalite that plays DynamoDB under throttling: of each
 * BatchWriteItem it writes only part and answers the rest as UnprocessedItems
 * (each put request held back with probability `throttleRate`), as DynamoDB
 * does when a partition is over its throughput. Everything else passes through.
 * The rewritten answer drops `x-amz-crc32` (it no longer matches the body).
 */
export async function startThrottlingProxy(backend: Engine, throttleRate: number, random: Random): Promise<Engine & { stats: ProxyStats }> {
  const target = new URL(backend.endpoint);
  const stats: ProxyStats = { batchWrites: 0, throttledItems: 0 };
  const server = http.createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const isBatchWrite = String(req.headers["x-amz-target"] ?? "").endsWith(".BatchWriteItem");
      if (!isBatchWrite || throttleRate <= 0) {
        const answer = await forward(target, req, body);
        res.writeHead(answer.status, answer.headers).end(answer.body);
        return;
      }
      stats.batchWrites++;
      const request = JSON.parse(body.toString("utf8")) as BatchWriteBody;
      const kept: Record<string, unknown[]> = {};
      const held: Record<string, unknown[]> = {};
      for (const [table, items] of Object.entries(request.RequestItems)) {
        for (const item of items) {
          const bucket = random.next() < throttleRate ? held : kept;
          (bucket[table] ??= []).push(item);
        }
      }
      const heldCount = Object.values(held).reduce((n, items) => n + items.length, 0);
      stats.throttledItems += heldCount;
      let answer: BatchWriteAnswer = {};
      let status = 200;
      if (Object.keys(kept).length > 0) {
        const forwarded = JSON.stringify({ ...request, RequestItems: kept });
        const out = await forward(target, req, Buffer.from(forwarded));
        if (out.status !== 200) {
          // A validation error (e.g. an oversized item) fails the whole request, as DynamoDB does.
          stats.throttledItems -= heldCount;
          res.writeHead(out.status, out.headers).end(out.body);
          return;
        }
        answer = JSON.parse(out.body.toString("utf8")) as BatchWriteAnswer;
        status = out.status;
      }
      const unprocessed: Record<string, unknown[]> = { ...(answer.UnprocessedItems ?? {}) };
      for (const [table, items] of Object.entries(held)) unprocessed[table] = [...(unprocessed[table] ?? []), ...items];
      const text = JSON.stringify({ ...answer, UnprocessedItems: unprocessed });
      res.writeHead(status, { "content-type": "application/x-amz-json-1.0", "content-length": String(Buffer.byteLength(text)) }).end(text);
    })().catch((err: unknown) => {
      res.writeHead(500).end(String(err));
    });
  });
  const engine = await listen(server);
  return { ...engine, stats };
}

/**
 * Environment the bundled handlers' SDK v3 clients read when they are created
 * (service-specific endpoint variables, region, credentials). Returns a
 * function restoring what was there before.
 */
export function setProcessEnv(vars: Record<string, string | undefined>): () => void {
  const before = new Map<string, string | undefined>();
  for (const [name, value] of Object.entries(vars)) {
    before.set(name, process.env[name]);
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  return () => {
    for (const [name, value] of before) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}

export function awsEnv(endpoints: { dynamodb?: Engine; sqs?: Engine; kinesis?: Engine; ssm?: Engine }): Record<string, string | undefined> {
  return {
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    AWS_ACCESS_KEY_ID: FAKE_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: FAKE_CREDENTIALS.secretAccessKey,
    AWS_SESSION_TOKEN: undefined,
    AWS_PROFILE: undefined,
    AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: undefined,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb?.endpoint,
    AWS_ENDPOINT_URL_SQS: endpoints.sqs?.endpoint,
    AWS_ENDPOINT_URL_KINESIS: endpoints.kinesis?.endpoint,
    AWS_ENDPOINT_URL_SSM: endpoints.ssm?.endpoint,
  };
}
