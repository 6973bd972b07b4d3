/**
 * mediaConvertInputFileToJobIdApi's logic: input file name -> MediaConvert job id,
 * from the `MediaConvertInputFileToJobId` table (key `InputFile`).
 */
import { itemEndpoint } from "./api";

/** The answer's fields for a table item: `{ job_id }`. */
export function jobIdFields(item: Record<string, unknown>): Record<string, unknown> {
  return { job_id: item.JobId ?? null };
}

/** The endpoint: `?input_file=<name>` -> `{ success, job_id }`. */
export const inputFileToJobId = itemEndpoint("input_file", "InputFile", jobIdFields);
