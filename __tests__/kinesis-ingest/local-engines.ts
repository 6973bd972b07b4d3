/**
 * Local AWS engines for the kinesis-ingest tests, started by the tests on
 * 127.0.0.1 with a free port and stopped in afterAll: dynalite (DynamoDB) and
 * kinesalite (Kinesis). Neither ships type definitions; the factory type below
 * is all the tests use of them.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { KinesisClient } from "@aws-sdk/client-kinesis";
import { NodeHttpHandler } from "@smithy/node-http-handler";

type EngineFactory = (options: Record<string, unknown>) => Server;

export const REGION = "ap-northeast-1";
export const FAKE_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" };

export interface LocalEngine {
  readonly endpoint: string;
  stop(): Promise<void>;
}

async function listen(server: Server): Promise<LocalEngine> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** dynalite, tables created at once. */
export function startDynalite(): Promise<LocalEngine> {
  const dynalite = require("dynalite") as EngineFactory;
  return listen(dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 }));
}

/** kinesalite, streams created at once. */
export function startKinesalite(): Promise<LocalEngine> {
  const kinesalite = require("kinesalite") as EngineFactory;
  return listen(kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 10 }));
}

export function documentClient(engine: LocalEngine): { raw: DynamoDBClient; doc: DynamoDBDocumentClient } {
  const raw = new DynamoDBClient({ endpoint: engine.endpoint, region: REGION, credentials: FAKE_CREDENTIALS });
  return { raw, doc: DynamoDBDocumentClient.from(raw) };
}

/** kinesalite speaks HTTP/1.1 only; the SDK's Kinesis client defaults to HTTP/2. */
export function kinesisClient(engine: LocalEngine): KinesisClient {
  return new KinesisClient({
    endpoint: engine.endpoint,
    region: REGION,
    credentials: FAKE_CREDENTIALS,
    requestHandler: new NodeHttpHandler(),
  });
}
