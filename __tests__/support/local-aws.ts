/**
 * Local AWS engines for the tests, each started in this process on 127.0.0.1
 * with a free port and stopped in afterAll: dynalite (DynamoDB), kinesalite
 * (Kinesis) and local-aws-sqs (SQS), each with an SDK v3 client on it. The
 * engines themselves are the replay tool's (`tools/emulator/engines.ts`), so
 * there is one starter per engine; this module adds the clients tests want.
 */
import { CreateTableCommand, type DynamoDBClient, type KeySchemaElement } from "@aws-sdk/client-dynamodb";
import type { KinesisClient } from "@aws-sdk/client-kinesis";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient, ScanCommand } from "@aws-sdk/lib-dynamodb";
import {
  awsEnv,
  dynamoClient,
  type Engine,
  FAKE_CREDENTIALS,
  kinesisClient,
  REGION,
  sqsClient,
  startDynalite,
  startKinesalite,
  startSqs,
} from "../../tools/emulator/engines";

export { FAKE_CREDENTIALS, REGION };
export type { Engine };

/** An engine with one SDK client on it; `stop()` destroys the client, then the engine. */
export interface EngineWithClient<C> extends Engine {
  readonly client: C;
}

function withClient<C extends { destroy(): void }>(engine: Engine, client: C): EngineWithClient<C> {
  return {
    endpoint: engine.endpoint,
    client,
    async stop() {
      client.destroy();
      await engine.stop();
    },
  };
}

/** A DynamoDB client and its DocumentClient; whoever asked for them destroys `raw`. */
export interface DynamoClients {
  readonly raw: DynamoDBClient;
  readonly doc: DynamoDBDocumentClient;
}

export interface LocalDynamo extends Engine, DynamoClients {
  /** Creates an on-demand table keyed by string attributes; returns its name. */
  createTable(name: string, hashKey: string, rangeKey?: string): Promise<string>;
  /** Every item of a table (a consistent scan). */
  items(tableName: string): Promise<Array<Record<string, unknown>>>;
  /** Fresh clients on the same engine, for a test that adds middleware to its own client. */
  newClients(): DynamoClients;
}

/** dynalite, tables created at once, with a client on it. */
export async function startLocalDynamo(): Promise<LocalDynamo> {
  const engine = await startDynalite();
  const newClients = (): DynamoClients => {
    const raw = dynamoClient(engine);
    return { raw, doc: DynamoDBDocumentClient.from(raw) };
  };
  const { raw, doc } = newClients();
  const { endpoint, stop } = withClient(engine, raw);
  return {
    endpoint,
    stop,
    raw,
    doc,
    newClients,
    async createTable(name, hashKey, rangeKey) {
      const keys: KeySchemaElement[] = [{ AttributeName: hashKey, KeyType: "HASH" }];
      if (rangeKey !== undefined) keys.push({ AttributeName: rangeKey, KeyType: "RANGE" });
      await raw.send(
        new CreateTableCommand({
          TableName: name,
          BillingMode: "PAY_PER_REQUEST",
          KeySchema: keys,
          AttributeDefinitions: keys.map((key) => ({ AttributeName: key.AttributeName, AttributeType: "S" })),
        }),
      );
      return name;
    },
    async items(tableName) {
      const out = await doc.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }));
      return out.Items ?? [];
    },
  };
}

export type LocalKinesis = EngineWithClient<KinesisClient>;
export type LocalSqs = EngineWithClient<SQSClient>;

/** kinesalite, streams created at once; its client is on `NodeHttpHandler` (kinesalite speaks HTTP/1.1 only). */
export async function startLocalKinesis(): Promise<LocalKinesis> {
  const engine = await startKinesalite();
  return withClient(engine, kinesisClient(engine));
}

/** local-aws-sqs (JSON protocol, account 123456789012). */
export async function startLocalSqs(): Promise<LocalSqs> {
  const engine = await startSqs();
  return withClient(engine, sqsClient(engine));
}

/**
 * The environment a handler's module-scope SDK clients read, as in Lambda:
 * region, the fake credentials, and each given engine's endpoint through the
 * SDK's service-specific variable (`AWS_ENDPOINT_URL_DYNAMODB`, ...).
 */
export function sdkEnv(engines: { dynamodb?: Engine; sqs?: Engine; kinesis?: Engine; ssm?: Engine }): Record<string, string> {
  return Object.fromEntries(Object.entries(awsEnv(engines)).filter((entry): entry is [string, string] => entry[1] !== undefined));
}
