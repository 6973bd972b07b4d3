/** The load balancer's access-log bucket: private, TLS-only, SSE-S3, expiring, writable by ELB log delivery only. */
import { Token } from "cdktf";
import { DataAwsElbServiceAccount } from "@cdktf/provider-aws/lib/data-aws-elb-service-account";
import { DataAwsIamPolicyDocument, DataAwsIamPolicyDocumentStatement } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import type { Pattern } from "../../blocks/pattern";

/**
 * Regions whose load balancers deliver access logs as the regional ELB
 * account (`data.aws_elb_service_account`); AWS lists them as the regions
 * available before August 2022. Regions opened since (ap-southeast-3 Jakarta
 * onwards) only accept the `logdelivery.elasticloadbalancing.amazonaws.com`
 * service principal, and the data source fails there.
 */
export const ELB_ACCOUNT_LOG_DELIVERY_REGIONS: readonly string[] = [
  "us-east-1", "us-east-2", "us-west-1", "us-west-2", "af-south-1", "ap-east-1", "ap-south-1",
  "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-southeast-1", "ap-southeast-2",
  "ca-central-1", "eu-central-1", "eu-west-1", "eu-west-2", "eu-west-3", "eu-south-1", "eu-north-1",
  "me-south-1", "sa-east-1", "us-gov-west-1", "us-gov-east-1", "cn-north-1", "cn-northwest-1",
];

/** The service principal that writes access logs in every region opened since August 2022 (and accepted in older ones). */
export const ELB_LOG_DELIVERY_PRINCIPAL = "logdelivery.elasticloadbalancing.amazonaws.com";

/** Key prefix of the ALB's access logs in the bucket. */
const ACCESS_LOG_PREFIX = "api-lb";

export interface AccessLogBucket {
  readonly bucket: S3Bucket;
  /** The bucket policy: the load balancer waits for it (ELB writes a test object when logging is turned on). */
  readonly policy: S3BucketPolicy;
  /** Key prefix of the logs, as the load balancer's `access_logs` names it. */
  readonly prefix: string;
}

/**
 * Whether ELB log delivery in `region` may come as the regional ELB account: a known
 * older region, or one unknown at synth (most regions are older; a newer one then fails
 * at plan, in `data.aws_elb_service_account`, until the pattern is given its `region`).
 */
export function deliversAsElbAccount(region: string | undefined): boolean {
  return region === undefined || Token.isUnresolved(region) || ELB_ACCOUNT_LOG_DELIVERY_REGIONS.includes(region);
}

/**
 * The bucket and its settings, in the pattern's scope (ids `access_log_bucket*`,
 * `elb_service_account`): a function rather than a construct, so the addresses
 * stay those the stack wrote by hand.
 */
export function accessLogBucket(
  pattern: Pattern,
  props: { readonly hostLabel: string; readonly expirationDays: number; readonly region?: string },
): AccessLogBucket {
  // Named `<prefix>-logs-api-lb-<account>`: bucket names are global, and the seed's dotted
  // `logs-api-lb.nightonly.com` breaks virtual-hosted-style TLS to S3. Lower case and within 63
  // characters with the 12-digit account id, which may be a token (its length unknown at synth).
  const bucket = new S3Bucket(pattern, "access_log_bucket", {
    bucket: `${pattern.name(`logs-${props.hostLabel}`, 63 - 13).toLowerCase()}-${pattern.accountId}`,
  });
  new S3BucketOwnershipControls(pattern, "access_log_bucket_ownership", {
    bucket: bucket.id,
    rule: { objectOwnership: "BucketOwnerEnforced" },
  });
  const publicAccessBlock = new S3BucketPublicAccessBlock(pattern, "access_log_bucket_public_access_block", {
    bucket: bucket.id,
    blockPublicAcls: true,
    blockPublicPolicy: true,
    ignorePublicAcls: true,
    restrictPublicBuckets: true,
  });
  // SSE-S3: the only encryption ELB access log delivery supports (not SSE-KMS).
  new S3BucketServerSideEncryptionConfigurationA(pattern, "access_log_bucket_encryption", {
    bucket: bucket.id,
    rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
  });
  new S3BucketLifecycleConfiguration(pattern, "access_log_bucket_lifecycle", {
    bucket: bucket.id,
    rule: [
      {
        id: "expire-access-logs",
        status: "Enabled",
        filter: [{ prefix: "" }],
        expiration: [{ days: props.expirationDays }],
        abortIncompleteMultipartUpload: [{ daysAfterInitiation: 1 }],
      },
    ],
  });

  const logObjects = `${bucket.arn}/${ACCESS_LOG_PREFIX}/AWSLogs/${pattern.accountId}/*`;
  const logDelivery: DataAwsIamPolicyDocumentStatement[] = [
    {
      sid: "AllowElbLogDeliveryService",
      actions: ["s3:PutObject"],
      resources: [logObjects],
      principals: [{ type: "Service", identifiers: [ELB_LOG_DELIVERY_PRINCIPAL] }],
    },
  ];
  if (deliversAsElbAccount(props.region)) {
    // Older regions deliver as the regional ELB account; the data source is a static map
    // in the provider (no AWS call, so offline plans work).
    const elbAccount = new DataAwsElbServiceAccount(pattern, "elb_service_account", {});
    logDelivery.push({
      sid: "AllowElbLogDeliveryAccount",
      actions: ["s3:PutObject"],
      resources: [logObjects],
      principals: [{ type: "AWS", identifiers: [elbAccount.arn] }],
    });
  }
  const bucketPolicyDocument = new DataAwsIamPolicyDocument(pattern, "access_log_bucket_policy_document", {
    statement: [
      {
        // A deny must cover every action to make the bucket TLS-only, hence `s3:*` (Deny only).
        sid: "DenyInsecureTransport",
        effect: "Deny",
        actions: ["s3:*"],
        resources: [bucket.arn, `${bucket.arn}/*`],
        principals: [{ type: "*", identifiers: ["*"] }],
        condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
      },
      ...logDelivery,
    ],
  });
  const policy = new S3BucketPolicy(pattern, "access_log_bucket_policy", {
    bucket: bucket.id,
    policy: bucketPolicyDocument.json,
    // S3 rejects a policy PUT racing the public access block change on a new bucket.
    dependsOn: [publicAccessBlock],
  });
  return { bucket, policy, prefix: ACCESS_LOG_PREFIX };
}
