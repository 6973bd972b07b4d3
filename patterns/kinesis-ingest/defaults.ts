/** kinesis-ingest's default settings, in one place; a user's props are merged over them (`consolidateProps`). */
import type { ClientLimits } from "../../blocks/api-key-clients";
import type { KinesisIngestStreamProps, KinesisIngestTableProps } from "./index";

export const KINESIS_INGEST_DEFAULTS = {
  /** Fix: encrypted with the AWS managed key (the seed's stream is unencrypted). */
  stream: { encryptionType: "KMS", kmsKeyId: "alias/aws/kinesis" } satisfies KinesisIngestStreamProps,
  /** The seed's on-demand table. */
  table: { billingMode: "PAY_PER_REQUEST" } satisfies KinesisIngestTableProps,
  /** Per client, below the stage's 1,000/2,000. */
  clientLimits: { rateLimit: 500, burstLimit: 1000, dailyQuota: 500_000 } satisfies Required<ClientLimits>,
} as const;
