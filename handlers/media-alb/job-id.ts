/**
 * mediaConvertInputFileToJobIdApi's logic: input file name -> MediaConvert job id,
 * from the `MediaConvertInputFileToJobId` table (key `InputFile`).
 */
import { DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
import type { Endpoint } from "./api";

/** The answer's fields for a table item: `{ job_id }`. */
export function jobIdFields(item: Record<string, unknown>): Record<string, unknown> {
  return { job_id: item.JobId ?? null };
}

/** The endpoint: `?input_file=<name>` -> `{ success, job_id }`. */
export function inputFileToJobId(client: DynamoDBDocumentClient, tableName: string): Endpoint {
  return {
    parameter: "input_file",
    lookup: async (inputFile, abortSignal) => {
      const { Item } = await client.send(new GetCommand({ TableName: tableName, Key: { InputFile: inputFile } }), { abortSignal });
      return Item === undefined ? undefined : jobIdFields(Item);
    },
  };
}
