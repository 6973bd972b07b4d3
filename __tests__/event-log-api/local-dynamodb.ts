/**
 * A real DynamoDB engine for handler tests: dynalite, in this process, on
 * 127.0.0.1 and a free port, with the EventLog table's key schema.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

// dynalite ships no types: its factory returns a node:http server.
const dynalite = require("dynalite") as (options: { createTableMs: number }) => Server;

export const FAKE_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" };
export const REGION = "ap-northeast-1";

export interface LocalDynamo {
  readonly endpoint: string;
  readonly db: DynamoDBDocumentClient;
  /** Creates a fresh table with the stack's key schema (date + time), so tests do not share rows. */
  createTable(name: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startLocalDynamo(): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const raw = new DynamoDBClient({ endpoint, region: REGION, credentials: FAKE_CREDENTIALS });
  const db = DynamoDBDocumentClient.from(raw);
  return {
    endpoint,
    db,
    async createTable(name) {
      await raw.send(
        new CreateTableCommand({
          TableName: name,
          BillingMode: "PROVISIONED",
          ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 },
          KeySchema: [
            { AttributeName: "date", KeyType: "HASH" },
            { AttributeName: "time", KeyType: "RANGE" },
          ],
          AttributeDefinitions: [
            { AttributeName: "date", AttributeType: "S" },
            { AttributeName: "time", AttributeType: "S" },
          ],
        }),
      );
      return name;
    },
    async stop() {
      raw.destroy();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
