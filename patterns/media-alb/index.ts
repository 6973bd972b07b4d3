import { Construct } from "constructs";
import { Fn, Token } from "cdktf";
import type { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import type { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import type { Lb } from "@cdktf/provider-aws/lib/lb";
import type { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import type { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import type { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import type { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import type { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import type { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import type { DomainCertificate } from "../../blocks/api-custom-domain";
import { exclusive } from "../../blocks/defaults";
import type { DnsValidatedCertificate } from "../../blocks/dns-validated-certificate";
import type { NodejsFunction } from "../../blocks/lambda/nodejs-function";
import { Pattern, PatternProps } from "../../blocks/pattern";
import type { RateLimitWebAcl, WebAclOptions } from "../../blocks/rate-limit-web-acl";
import type { TableRef } from "../../blocks/references";
import { booleanSetting, DNS_NAME_PATTERN, stringSetting, wholeNumberSetting } from "../../blocks/variables";
import { accessLogBucket } from "./access-log-bucket";
import { MEDIA_ALB_DEFAULTS } from "./defaults";
import { ALB_NAME_LIMIT, albFrontDoor } from "./load-balancer";
import { MediaAlbTableProps, MediaEndpoint } from "./media-endpoint";
import { albNetwork } from "./network";
import { observe, Observed } from "../../blocks/observability";

export { deliversAsElbAccount, ELB_ACCOUNT_LOG_DELIVERY_REGIONS, ELB_LOG_DELIVERY_PRINCIPAL } from "./access-log-bucket";
export { MEDIA_ALB_DEFAULTS } from "./defaults";
export { ALB_NAME_LIMIT } from "./load-balancer";
export { MediaEndpoint } from "./media-endpoint";
export type { MediaAlbTableProps, MediaEndpointProps } from "./media-endpoint";

export interface MediaAlbProps extends PatternProps {
  /**
   * Public Route53 hosted zone holding the API's record `<hostLabel>.<zoneName>` and, by default,
   * its certificate's validation records. Required: no default. A token (a variable) is fine.
   */
  readonly zoneName: string;
  /** First label of the API's host name; the load balancer is named after it too. @default "api-lb" (the seed's `api-lb.nightonly.com`) */
  readonly hostLabel?: string;
  /**
   * The HTTPS listener's certificate. The seed picked an existing wildcard
   * certificate (`*.nightonly.com`): pass `{ kind: "existing", certificateArn }` for that.
   * @default { kind: "create" }: a certificate for the host name, DNS-validated in the zone
   */
  readonly certificate?: DomainCertificate;
  /** TLS policy of the HTTPS listener. @default "ELBSecurityPolicy-TLS13-1-2-2021-06" (TLS 1.2 and 1.3 only) */
  readonly sslPolicy?: string;
  /**
   * The load balancer's deletion protection, as the seed turns on (`deletion_protection` with
   * variables on). Apply with it `false` before destroying. @default true
   */
  readonly deletionProtection?: boolean;
  /**
   * Reserved concurrency of each of the two functions (`reserved_concurrent_executions` with variables on).
   * Sizing rule: peak requests per second the endpoint must serve x the function's p99 duration
   * in seconds x 2 (headroom), and no more than a tenth of the account's concurrency limit for both
   * (so a flood on the ALB leaves the account's other functions the rest).
   * @default 50 (250 requests/s x 0.2 s x 2 = 100 for the two, a tenth of the default 1,000 limit)
   */
  readonly reservedConcurrentExecutions?: number;
  /** Days the ALB's access logs stay in their bucket. @default 90 */
  readonly accessLogExpirationDays?: number;
  /**
   * `ALLOWED_ORIGINS` of both functions (`allowed_origins` with variables on): space-separated JavaScript
   * regular expressions, each fully matched against a request's Origin header (requests without one pass).
   * @default "" : pages of the zone, `https://<zone>` and `https://*.<zone>`
   */
  readonly allowedOrigins?: string;
  /**
   * A WAF web ACL (per-IP rate limit + AWS managed common rules) on the load balancer; present = on.
   * @default none (no web ACL: it costs about 7 USD a month plus 0.60 USD per million requests)
   */
  readonly webAcl?: WebAclOptions;
  /** The VPC of the load balancer's security group. @default the region's default VPC (`data.aws_vpc`) */
  readonly vpcId?: string;
  /** Subnets of the load balancer, in two AZs or more. @default the VPC's subnets (`data.aws_subnets`; the default VPC's default-for-AZ ones) */
  readonly subnetIds?: readonly string[];
  /** A table the user has (hash key `InputFile`, string): /media/job_id reads it. Not with `jobIdTableProps`. @default a new table */
  readonly existingJobIdTable?: TableRef;
  /** Overrides of the new input file -> job id table (merged over MEDIA_ALB_DEFAULTS.table). Not with `existingJobIdTable`. */
  readonly jobIdTableProps?: MediaAlbTableProps;
  /** A table the user has (hash key `JobId`, string): /media/status reads it. Not with `statusTableProps`. @default a new table */
  readonly existingStatusTable?: TableRef;
  /** Overrides of the new job id -> status table (merged over MEDIA_ALB_DEFAULTS.table). Not with `existingStatusTable`. */
  readonly statusTableProps?: MediaAlbTableProps;
}

/**
 * Seed 003: an Application Load Balancer in front of two Lambda functions that
 * read MediaConvert job information from DynamoDB, the cheaper front door than
 * API Gateway at high request volume (an ALB bills hours and LCUs, not requests).
 *
 *   https://api-lb.<zone>/media/job_id?input_file=... -> mediaConvertInputFileToJobIdApi -> MediaConvertInputFileToJobId
 *   https://api-lb.<zone>/media/status?job_id=...     -> mediaConvertJobIdToStatusApi    -> MediaConvertJobIdToStatus
 *   anything else -> 404 {"message":"Not Found"};  http:// -> 301 https://
 */
export class MediaAlb extends Pattern {
  /** Its dashboard (none with `dashboard: false`) and the alarms on its handlers' outcome metrics (blocks/observability). */
  readonly observability: Observed;
  readonly loadBalancer: Lb;
  readonly securityGroup: SecurityGroup;
  readonly ingressRules: VpcSecurityGroupIngressRule[];
  readonly httpsListener: LbListener;
  readonly httpListener: LbListener;
  readonly accessLogBucket: S3Bucket;
  readonly accessLogBucketPolicy: S3BucketPolicy;
  /** /media/job_id: its table, function, target group, permission, attachment, rule and LambdaUserError alarm. */
  readonly jobIdEndpoint: MediaEndpoint;
  /** /media/status: the same parts. */
  readonly statusEndpoint: MediaEndpoint;
  /** The input file -> job id table the pattern created (undefined with `existingJobIdTable`). */
  readonly jobIdTable?: DynamodbTable;
  /** The input file -> job id table in use: created or existing. */
  readonly jobIdTableRef: TableRef;
  /** The job id -> status table the pattern created (undefined with `existingStatusTable`). */
  readonly statusTable?: DynamodbTable;
  /** The job id -> status table in use: created or existing. */
  readonly statusTableRef: TableRef;
  readonly jobIdHandler: NodejsFunction;
  readonly statusHandler: NodejsFunction;
  /** The alias A record `<hostLabel>.<zoneName>` -> the load balancer. */
  readonly record: Route53Record;
  /** The host name callers use: `<hostLabel>.<zoneName>`. */
  readonly hostName: string;
  /** Set when the pattern requested the listener's certificate (`certificate: { kind: "create" }`). */
  readonly certificate?: DnsValidatedCertificate;
  /** Set when `webAcl` is given. */
  readonly webAcl?: RateLimitWebAcl;
  readonly elb5xxAlarm: CloudwatchMetricAlarm;
  readonly target5xxAlarm: CloudwatchMetricAlarm;

  constructor(scope: Construct, id: string, props: MediaAlbProps) {
    super(scope, id, props);
    exclusive(this, { existingJobIdTable: props.existingJobIdTable, jobIdTableProps: props.jobIdTableProps });
    exclusive(this, { existingStatusTable: props.existingStatusTable, statusTableProps: props.statusTableProps });
    const hostLabel = props.hostLabel ?? MEDIA_ALB_DEFAULTS.hostLabel;
    checkNames(this, props.zoneName, hostLabel);
    const expirationDays = props.accessLogExpirationDays ?? MEDIA_ALB_DEFAULTS.accessLogExpirationDays;
    if (!Number.isInteger(expirationDays) || expirationDays < 1) {
      throw new Error(`${this.node.path}: accessLogExpirationDays must be a whole number >= 1, got ${expirationDays}.`);
    }

    // ---- Settings (plain values, or variables with the variables opt-in) ----
    const deletionProtection = booleanSetting(
      this,
      "deletion_protection",
      props.deletionProtection ?? MEDIA_ALB_DEFAULTS.deletionProtection,
      "Deletion protection of the load balancer (the seed turns it on). Apply with false before destroying the stack.",
    );
    const reservedConcurrency = wholeNumberSetting(
      this,
      "reserved_concurrent_executions",
      props.reservedConcurrentExecutions ?? MEDIA_ALB_DEFAULTS.reservedConcurrentExecutions,
      {
        min: 1,
        description:
          "Reserved concurrency of each function behind the public ALB: peak requests/s x p99 duration (s) x 2, at most a tenth of the account's concurrency limit for both (README: Reliability; docs/security.md).",
      },
    );
    this.hostName = `${hostLabel}.${props.zoneName}`;
    const allowedOrigins = allowedOriginsOf(this, props.allowedOrigins ?? MEDIA_ALB_DEFAULTS.allowedOrigins, props.zoneName);

    // ---- Network: the given VPC and subnets, or the default VPC's; security group AllowHttpGroup ----
    const network = albNetwork(this, { vpcId: props.vpcId, subnetIds: props.subnetIds });
    this.securityGroup = network.securityGroup;
    this.ingressRules = network.ingressRules;
    const zoneId = this.hostedZoneId(props.zoneName);

    // ---- Access logs: a new bucket (the seed's "create this location") ----
    const accessLogs = accessLogBucket(this, { hostLabel, expirationDays, region: props.region });
    this.accessLogBucket = accessLogs.bucket;
    this.accessLogBucketPolicy = accessLogs.policy;

    // ---- The load balancer api-lb, its listeners, web ACL, record and alarms ----
    const front = albFrontDoor(this, {
      hostLabel,
      hostName: this.hostName,
      hostedZoneId: zoneId,
      network,
      accessLogs,
      deletionProtection,
      certificate: props.certificate ?? { kind: "create" },
      sslPolicy: props.sslPolicy ?? MEDIA_ALB_DEFAULTS.sslPolicy,
      webAcl: props.webAcl,
    });
    this.loadBalancer = front.loadBalancer;
    this.certificate = front.certificate;
    this.httpsListener = front.httpsListener;
    this.httpListener = front.httpListener;
    this.webAcl = front.webAcl;
    this.record = front.record;
    this.elb5xxAlarm = front.elb5xxAlarm;
    this.target5xxAlarm = front.target5xxAlarm;

    // ---- The two routes (seed rule IDs 1 and 2) ----
    const common = {
      ...this.functionDefaults,
      listenerArn: this.httpsListener.arn,
      allowedOrigins,
      loadBalancerArnSuffix: this.loadBalancer.arnSuffix,
      reservedConcurrentExecutions: reservedConcurrency,
    };
    // Target group names are limited to 32 characters: the seed's names (up to 31) plus a
    // prefix do not fit, so the target groups get short names of their own.
    this.jobIdEndpoint = new MediaEndpoint(this, "job_id", {
      ...common,
      functionName: this.name("mediaConvertInputFileToJobIdApi"),
      roleName: this.name("mediaConvertInputFileToJobIdApi-role"),
      entry: "handlers/media-alb/input-file-to-job-id/index.ts",
      table: { existing: props.existingJobIdTable, name: this.name("MediaConvertInputFileToJobId"), overrides: props.jobIdTableProps },
      hashKey: "InputFile",
      targetGroupName: this.name("media-job-id", ALB_NAME_LIMIT),
      priority: 1,
      path: "/media/job_id",
    });
    this.statusEndpoint = new MediaEndpoint(this, "status", {
      ...common,
      functionName: this.name("mediaConvertJobIdToStatusApi"),
      roleName: this.name("mediaConvertJobIdToStatusApi-role"),
      entry: "handlers/media-alb/job-id-to-status/index.ts",
      table: { existing: props.existingStatusTable, name: this.name("MediaConvertJobIdToStatus"), overrides: props.statusTableProps },
      hashKey: "JobId",
      targetGroupName: this.name("media-status", ALB_NAME_LIMIT),
      priority: 2,
      path: "/media/status",
    });
    this.jobIdTable = this.jobIdEndpoint.table;
    this.jobIdTableRef = this.jobIdEndpoint.tableRef;
    this.statusTable = this.statusEndpoint.table;
    this.statusTableRef = this.statusEndpoint.tableRef;
    this.jobIdHandler = this.jobIdEndpoint.handler;
    this.statusHandler = this.statusEndpoint.handler;
    this.observability = observe(this, { service: "media-alb", dashboard: props.dashboard });
  }
}

/** A DNS label: what `hostLabel` must be to form `<hostLabel>.<zoneName>`. */
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Refuses, at synth, a literal zone or host label the certificate and record could never carry. */
function checkNames(scope: Construct, zoneName: string | undefined, hostLabel: string): void {
  if (zoneName === undefined) throw new Error(`${scope.node.path}: zoneName is required (the public hosted zone of <hostLabel>.<zoneName>); it has no default.`);
  if (!Token.isUnresolved(zoneName) && !new RegExp(DNS_NAME_PATTERN).test(zoneName)) {
    throw new Error(`${scope.node.path}: zoneName must be a lower-case DNS name such as example.com, got ${JSON.stringify(zoneName)}.`);
  }
  if (!Token.isUnresolved(hostLabel) && !DNS_LABEL.test(hostLabel)) {
    throw new Error(`${scope.node.path}: hostLabel must be one lower-case DNS label such as api-lb, got ${JSON.stringify(hostLabel)}.`);
  }
}

/**
 * `ALLOWED_ORIGINS` of both functions: the value (or, with variables on, the string variable
 * `<prefix>allowed_origins` defaulting to it), or the zone's pages when it is blank. A literal
 * pattern is compiled at synth as the handler compiles it (`^(?:...)$`), so a bad one fails here.
 */
function allowedOriginsOf(scope: Construct, value: string, zoneName: string): string {
  // `[.]`, not `\.`: a literal dot without backslashes, which Terraform expressions would need doubled.
  const zoneOrigins = `https://([a-z0-9-]+[.])*${Token.isUnresolved(zoneName) ? Fn.replace(zoneName, ".", "[.]") : zoneName.replace(/\./g, "[.]")}`;
  const patterns = Token.isUnresolved(value) ? [] : value.split(/\s+/).filter((pattern) => pattern !== "");
  patterns.forEach((pattern, index) => {
    try {
      new RegExp(`^(?:${pattern})$`);
    } catch (err) {
      throw new Error(`${scope.node.path}: allowedOrigins pattern ${index + 1} ${JSON.stringify(pattern)} is not a valid regular expression: ${(err as Error).message}`);
    }
  });
  const setting = stringSetting(
    scope,
    "allowed_origins",
    value,
    "ALLOWED_ORIGINS of both functions: space-separated JavaScript regular expressions, each fully matched against a request's Origin header (requests without one pass). Empty: pages of the zone, https://<zone> and https://*.<zone>.",
  );
  // coalesce: the first non-empty string, so an empty (or blank) variable means the zone's pages.
  if (Token.isUnresolved(setting)) return Fn.coalesce([Fn.trimspace(setting), zoneOrigins]);
  return patterns.length === 0 ? zoneOrigins : patterns.join(" ");
}
