/**
 * The deployment configuration every stack shares. Values live in `config.ts`;
 * this file only says what they are, so constructs can depend on it without
 * depending on the app.
 */

/** How a Lambda function's bundled code becomes a zip. */
export type LambdaPackaging =
  /** `archive_file` data source of the hashicorp/archive provider, as the seeds do. */
  | "archive"
  /** A deterministic zip written at synth time and shipped as a cdktf asset: no extra provider. */
  | "asset";

/** Where Terraform keeps a stack's state. */
export type StateBackend =
  /**
   * A local state file per stack, nothing to set up: `terraform.<stack>.tfstate`,
   * or `terraform.<qualifier>.<stack>.tfstate` with a qualifier (config.ts gives
   * every environment and region but the default one, e.g. `prod`,
   * `prod.us-east-1`, so two of them never share a state file).
   */
  | { readonly kind: "local"; readonly qualifier?: string }
  /** A shared, encrypted S3 state with locking, for teams and CI pipelines. */
  | {
      readonly kind: "s3";
      readonly bucket: string;
      /** @default the stack's region */
      readonly region?: string;
      /** Key prefix; the key is `<prefix>/<environment>/<stack>.tfstate`. @default "cdktf" */
      readonly keyPrefix?: string;
      /** Lock with a DynamoDB table instead of S3's native lock file. @default S3 lock file */
      readonly dynamodbLockTable?: string;
      /** KMS key for state encryption. @default the bucket's default (SSE-S3) */
      readonly kmsKeyId?: string;
    };

/**
 * Values that replace AWS lookups (data sources), so a plan can run without
 * calling AWS. Each value left unset is looked up at plan time.
 */
export interface SuppliedLookups {
  /** Replaces `data.aws_caller_identity`. */
  readonly accountId?: string;
  /** Replaces `data.aws_route53_zone` for the configured domain. */
  readonly hostedZoneId?: string;
  /** Replaces `data.aws_vpc` (default VPC). */
  readonly vpcId?: string;
  /** Replaces `data.aws_subnets` (the default VPC's subnets). */
  readonly subnetIds?: readonly string[];
}

export interface DeploymentConfig {
  /** Environment name: prefixes physical names and tags resources. @default "dev" */
  readonly name: string;
  /** Project name, used in default tags. @default "spike-proof-serverless" */
  readonly project: string;
  /** AWS region. @default "ap-northeast-1" (the seeds' region) */
  readonly region: string;
  /** @default "archive" */
  readonly lambdaPackaging: LambdaPackaging;
  /** Retention of every log group this project creates, in days. @default 14 */
  readonly logRetentionDays: number;
  /** Where alarm notifications go; unset creates the SNS topic with no subscription. */
  readonly alarmEmail?: string;
  /** @default { kind: "local" } */
  readonly stateBackend: StateBackend;
  /** @default {} (every lookup made against AWS) */
  readonly lookups: SuppliedLookups;
  /**
   * Plan without AWS: the provider skips credential validation, account-id and
   * metadata lookups. Pair with `lookups` holding every value.
   * @default false
   */
  readonly offline: boolean;
}

/**
 * The physical name of a resource in this environment: `<env>-<base>`.
 * Every name a person sees in the AWS console goes through here, so two
 * environments never collide.
 */
export function physicalName(deployment: Pick<DeploymentConfig, "name">, base: string): string {
  return `${deployment.name}-${base}`;
}
