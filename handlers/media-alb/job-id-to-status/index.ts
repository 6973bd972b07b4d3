/**
 * Lambda entry of mediaConvertJobIdToStatusApi (behind the ALB, or an HTTP API):
 * `GET /media/status?job_id=<id>` -> `{ success, job_status, progress_rate, ... }`.
 * Configuration and client: `mediaHandler` (`../api`).
 */
import { mediaHandler } from "../api";
import { jobIdToStatus } from "../status";

export const handler = mediaHandler(jobIdToStatus);
