/**
 * A real DynamoDB engine for the translate-api handler tests: dynalite, in this
 * process, on 127.0.0.1 and a free port, with the history table's key schema.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, ScanCommand } from "@aws-sdk/lib-dynamodb";

// dynalite ships no types: its factory returns a node:http server.
const dynalite = require("dynalite") as (options: { createTableMs: number }) => Server;

export const FAKE_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" };
export const REGION = "ap-northeast-1";

export interface LocalDynamo {
  readonly endpoint: string;
  /** A fresh table keyed like `translate-history` (`timestamp`, S), so tests never share items. */
  createTable(): Promise<string>;
  items(tableName: string): Promise<Array<Record<string, unknown>>>;
  stop(): Promise<void>;
}

export async function startLocalDynamo(): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const raw = new DynamoDBClient({ endpoint, region: REGION, credentials: FAKE_CREDENTIALS });
  const db = DynamoDBDocumentClient.from(raw);
  let tables = 0;
  return {
    endpoint,
    async createTable() {
      const name = `translate-history-${++tables}`;
      await raw.send(
        new CreateTableCommand({
          TableName: name,
          BillingMode: "PAY_PER_REQUEST",
          KeySchema: [{ AttributeName: "timestamp", KeyType: "HASH" }],
          AttributeDefinitions: [{ AttributeName: "timestamp", AttributeType: "S" }],
        }),
      );
      return name;
    },
    async items(tableName) {
      const out = await db.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }));
      return out.Items ?? [];
    },
    async stop() {
      raw.destroy();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
