/**
 * Lambda entry of mediaConvertInputFileToJobIdApi (behind the ALB, or an HTTP API):
 * `GET /media/job_id?input_file=<name>` -> `{ success, job_id }`.
 * Configuration and client: `mediaHandler` (`../api`).
 */
import { mediaHandler } from "../api";
import { inputFileToJobId } from "../job-id";

export const handler = mediaHandler(inputFileToJobId);
