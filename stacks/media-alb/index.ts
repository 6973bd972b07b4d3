import { Construct } from "constructs";
import { Fn, TerraformOutput, TerraformVariable } from "cdktf";
import { DataAwsSubnets } from "@cdktf/provider-aws/lib/data-aws-subnets";
import { DataAwsVpc } from "@cdktf/provider-aws/lib/data-aws-vpc";
import { Lb } from "@cdktf/provider-aws/lib/lb";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { domainCertificate, type DomainCertificate } from "../../blocks/api-custom-domain";
import { DnsValidatedCertificate } from "../../blocks/dns-validated-certificate";
import { declareEntryPoint } from "../../blocks/entry-points";
import { RateLimitWebAcl, WebAclOptions } from "../../blocks/rate-limit-web-acl";
import { ServerlessStack, ServerlessStackProps } from "../../blocks/serverless-stack";
import { DNS_NAME_PATTERN, patternVariable, wholeNumberVariable } from "../../blocks/variables";
import { accessLogBucket } from "./access-log-bucket";
import { MediaEndpoint } from "./media-endpoint";

export { ELB_ACCOUNT_LOG_DELIVERY_REGIONS, ELB_LOG_DELIVERY_PRINCIPAL } from "./access-log-bucket";

export interface MediaAlbStackProps extends ServerlessStackProps {
  /**
   * First label of the API's host name; the load balancer is named after it too.
   * @default "api-lb" (the seed's `api-lb.nightonly.com`)
   */
  readonly hostLabel?: string;
  /**
   * The HTTPS listener's certificate. The seed picked an existing wildcard
   * certificate (`*.nightonly.com`): pass `{ kind: "existing", certificateArn }` for that.
   * @default { kind: "create" }: a certificate for the host name, DNS-validated in the zone
   */
  readonly certificate?: DomainCertificate;
  /**
   * TLS policy of the HTTPS listener (TLS 1.2 and 1.3 only).
   * @default "ELBSecurityPolicy-TLS13-1-2-2021-06"
   */
  readonly sslPolicy?: string;
  /**
   * Default of the `deletion_protection` variable: the load balancer's deletion
   * protection, as the seed turns on. Apply with it `false` before `cdktf destroy`.
   * @default true
   */
  readonly deletionProtection?: boolean;
  /**
   * Default of the `reserved_concurrent_executions` variable: the reserved concurrency of each of the two
   * functions. Sizing rule: peak requests per second the endpoint must serve x the function's p99 duration
   * in seconds x 2 (headroom), and no more than a tenth of the account's concurrency limit for both
   * (so a flood on the ALB leaves the account's other functions the rest).
   * @default 50 (250 requests/s x 0.2 s x 2 = 100 for the two, a tenth of the default 1,000 limit)
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * Days the ALB's access logs stay in their bucket.
   * @default 90
   */
  readonly accessLogExpirationDays?: number;
  /**
   * A WAF web ACL (per-IP rate limit + AWS managed common rules) on the load balancer; present = on.
   * @default none (no web ACL: it costs about 7 USD a month plus 0.60 USD per million requests)
   */
  readonly webAcl?: WebAclOptions;
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
export class MediaAlbStack extends ServerlessStack {
  readonly loadBalancer: Lb;
  readonly securityGroup: SecurityGroup;
  readonly httpsListener: LbListener;
  readonly httpListener: LbListener;
  readonly accessLogBucket: S3Bucket;
  readonly jobIdEndpoint: MediaEndpoint;
  readonly statusEndpoint: MediaEndpoint;
  readonly record: Route53Record;
  /** Set when the stack requested the listener's certificate (`certificate: { kind: "create" }`). */
  readonly certificate?: DnsValidatedCertificate;
  /** Set when `webAcl` is given. */
  readonly webAcl?: RateLimitWebAcl;

  constructor(scope: Construct, id: string, props: MediaAlbStackProps) {
    super(scope, id, props);
    const lookups = props.env.lookups;
    const hostLabel = props.hostLabel ?? "api-lb";

    // ---- Configuration an operator sets at plan time ----
    const zoneName = patternVariable(this, "zone_name", {
      pattern: DNS_NAME_PATTERN,
      errorMessage: "zone_name must be a lower-case DNS name such as example.com.",
      default: "example.com",
      description:
        "Public Route53 hosted zone holding the API's record (api-lb.<zone>). Looked up by name unless the environment supplies its id. The seed used nightonly.com at another DNS provider.",
    });
    const allowedOriginsVar = new TerraformVariable(this, "allowed_origins", {
      type: "string",
      default: "",
      description:
        "ALLOWED_ORIGINS of both functions: space-separated JavaScript regular expressions, each fully matched against a request's Origin header (requests without one pass). Empty: pages of the zone, https://<zone> and https://*.<zone>.",
    });
    const deletionProtection = new TerraformVariable(this, "deletion_protection", {
      type: "bool",
      default: props.deletionProtection ?? true,
      description: "Deletion protection of the load balancer (the seed turns it on). Apply with false before destroying the stack.",
    });
    const reservedConcurrency = wholeNumberVariable(this, "reserved_concurrent_executions", {
      default: props.reservedConcurrentExecutions ?? 50,
      min: 1,
      description:
        "Reserved concurrency of each function behind the public ALB: peak requests/s x p99 duration (s) x 2, at most a tenth of the account's concurrency limit for both (README: Reliability; docs/security.md).",
    });
    const hostName = `${hostLabel}.${zoneName.stringValue}`;
    // `[.]`, not `\.`: a literal dot without backslashes, which Terraform expressions would need doubled.
    const zoneOrigins = `https://([a-z0-9-]+[.])*${Fn.replace(zoneName.stringValue, ".", "[.]")}`;
    // coalesce: the first non-empty string, so an empty (or blank) variable means the zone's pages.
    const allowedOrigins = Fn.coalesce([Fn.trimspace(allowedOriginsVar.stringValue), zoneOrigins]);

    // ---- Network: the default VPC and its subnets (the seed's three AZs), unless supplied ----
    const vpcId = lookups.vpcId ?? new DataAwsVpc(this, "vpc", { default: true }).id;
    const subnetIds = lookups.subnetIds
      ? [...lookups.subnetIds]
      : new DataAwsSubnets(this, "subnets", {
          filter: [
            { name: "vpc-id", values: [vpcId] },
            // The default VPC's public subnets (one per AZ); subnets added to it later are left out.
            ...(lookups.vpcId ? [] : [{ name: "default-for-az", values: ["true"] }]),
          ],
        }).ids;
    const zoneId = this.hostedZoneId(zoneName.stringValue);

    // ---- Security group AllowHttpGroup: HTTP/HTTPS in from anywhere (IPv4 and IPv6), nothing out ----
    // Standalone rule resources, not inline blocks: one rule per CIDR as AWS stores them, each
    // added or removed without rewriting the others, and no fight with rules added elsewhere.
    // (The seed's list repeats HTTP/IPv4 and HTTPS/IPv6: a transcription slip; the intent,
    // HTTP and HTTPS in from everywhere, is kept. Its egress rule is removed: see below.)
    this.securityGroup = new SecurityGroup(this, "security_group", {
      name: this.name("AllowHttpGroup"),
      description: "Allow HTTP/HTTPS security group",
      vpcId,
    });
    const anywhere = { ipv4: { cidrIpv4: "0.0.0.0/0" }, ipv6: { cidrIpv6: "::/0" } } as const;
    for (const [protocol, port] of [["http", 80], ["https", 443]] as const) {
      for (const [family, cidr] of Object.entries(anywhere)) {
        new VpcSecurityGroupIngressRule(this, `${protocol}_${family}_ingress`, {
          securityGroupId: this.securityGroup.id,
          description: `${protocol.toUpperCase()} from anywhere (${family})`,
          ipProtocol: "tcp",
          fromPort: port,
          toPort: port,
          ...cidr,
        });
      }
    }
    // Fix: no egress rule (the seed allows all traffic out). The ALB invokes its Lambda targets through the
    // Lambda API, not over a network connection, so its security group needs no outbound rule (Elastic Load
    // Balancing guide, "Lambda functions as targets"); Terraform removes the all-out rule AWS adds to a new group.

    // ---- Access logs: a new bucket (the seed's "create this location") ----
    const accessLogs = accessLogBucket(this, { hostLabel, expirationDays: props.accessLogExpirationDays ?? 90 });
    this.accessLogBucket = accessLogs.bucket;

    // ---- The load balancer api-lb ----
    this.loadBalancer = new Lb(this, "load_balancer", {
      name: this.name(hostLabel),
      internal: false,
      loadBalancerType: "application",
      securityGroups: [this.securityGroup.id],
      subnets: subnetIds,
      enableDeletionProtection: deletionProtection.booleanValue,
      // Requests with header names that are not valid HTTP are dropped, not passed to the functions.
      dropInvalidHeaderFields: true,
      accessLogs: { bucket: this.accessLogBucket.id, prefix: accessLogs.prefix, enabled: true },
      // The ALB writes a test object when access logs are enabled: the policy must be in place.
      dependsOn: [accessLogs.policy],
    });

    // The listener's certificate: the given ARN, or one requested for the host name and
    // DNS-validated in the zone; the listener takes the validation's ARN, so it waits for issuance.
    const { certificate, certificateArn } = domainCertificate(this, {
      domainName: hostName,
      hostedZoneId: zoneId,
      certificate: props.certificate ?? { kind: "create" },
    });
    this.certificate = certificate;

    // HTTPS 443: the seed's listener, its default action replaced by a fixed 404 (the seed's final edit).
    this.httpsListener = new LbListener(this, "https_listener", {
      loadBalancerArn: this.loadBalancer.arn,
      port: 443,
      protocol: "HTTPS",
      // The seed took the console's default policy; TLS 1.2+ only here.
      sslPolicy: props.sslPolicy ?? "ELBSecurityPolicy-TLS13-1-2-2021-06",
      certificateArn,
      defaultAction: [
        {
          type: "fixed-response",
          fixedResponse: { statusCode: "404", contentType: "application/json", messageBody: '{"message":"Not Found"}' },
        },
      ],
    });

    // Public on purpose, as the seed: browsers call it without credentials (CORS `*`), and it only reads.
    declareEntryPoint(this.httpsListener, {
      caller: "public",
      reason:
        "read-only lookups (job id, status) for browser pages: nothing is written, a request costs one Lambda " +
        "invocation and one DynamoDB read; webAcl adds a per-IP rate limit",
    });
    if (props.webAcl) {
      this.webAcl = new RateLimitWebAcl(this, "web_acl", {
        ...props.webAcl,
        name: this.name(hostLabel),
        protects: { load_balancer_association: this.loadBalancer.arn },
      });
    }

    // HTTP 80: only a permanent redirect to HTTPS (same host, path and query).
    this.httpListener = new LbListener(this, "http_listener", {
      loadBalancerArn: this.loadBalancer.arn,
      port: 80,
      protocol: "HTTP",
      defaultAction: [{ type: "redirect", redirect: { port: "443", protocol: "HTTPS", statusCode: "HTTP_301" } }],
    });

    // ---- The two routes (seed rule IDs 1 and 2) ----
    const common = {
      listenerArn: this.httpsListener.arn,
      allowedOrigins,
      loadBalancerArnSuffix: this.loadBalancer.arnSuffix,
      reservedConcurrentExecutions: reservedConcurrency.numberValue,
    };
    // Target group names are limited to 32 characters: the seed's names (up to 31) plus an
    // environment prefix do not fit, so the target groups get short names of their own.
    this.jobIdEndpoint = new MediaEndpoint(this, "job_id", {
      ...common,
      functionName: this.name("mediaConvertInputFileToJobIdApi"),
      entry: "handlers/media-alb/input-file-to-job-id/index.ts",
      tableName: this.name("MediaConvertInputFileToJobId"),
      hashKey: "InputFile",
      targetGroupName: this.name("media-job-id"),
      priority: 1,
      path: "/media/job_id",
    });
    this.statusEndpoint = new MediaEndpoint(this, "status", {
      ...common,
      functionName: this.name("mediaConvertJobIdToStatusApi"),
      entry: "handlers/media-alb/job-id-to-status/index.ts",
      tableName: this.name("MediaConvertJobIdToStatus"),
      hashKey: "JobId",
      targetGroupName: this.name("media-status"),
      priority: 2,
      path: "/media/status",
    });

    // ---- DNS: api-lb.<zone> -> the ALB (the seed: a CNAME at another DNS provider) ----
    this.record = new Route53Record(this, "record", {
      zoneId,
      name: hostName,
      type: "A",
      alias: { name: this.loadBalancer.dnsName, zoneId: this.loadBalancer.zoneId, evaluateTargetHealth: true },
    });

    // ---- Alarms: errors of the ALB itself and 5xx answers of the functions ----
    const albAlarm = (alarmId: string, metricName: string, what: string) =>
      this.alarms.countAboveZero(alarmId, {
        alarmName: this.name(`${hostLabel}-${metricName}`),
        alarmDescription: `${this.name(hostLabel)}: ${what}`,
        namespace: "AWS/ApplicationELB",
        metricName,
        dimensions: { LoadBalancer: this.loadBalancer.arnSuffix },
        period: 300,
      });
    albAlarm("alb_elb_5xx", "HTTPCode_ELB_5XX_Count", "5xx answered by the load balancer (502 bad Lambda answer, 503, 504) > 0 in 5 minutes");
    albAlarm("alb_target_5xx", "HTTPCode_Target_5XX_Count", "5xx answered by the functions > 0 in 5 minutes");

    new TerraformOutput(this, "alb_dns_name", {
      value: this.loadBalancer.dnsName,
      description: "The load balancer's own DNS name (its certificate does not cover it).",
    });
    new TerraformOutput(this, "custom_domain_url", { value: `https://${this.record.fqdn}`, description: "Base URL of the API (api-lb.<zone>)." });
    new TerraformOutput(this, "job_id_url", {
      value: `https://${this.record.fqdn}/media/job_id?input_file=`,
      description: "Input file name -> MediaConvert job id (append a URL-encoded file name).",
    });
    new TerraformOutput(this, "status_url", {
      value: `https://${this.record.fqdn}/media/status?job_id=`,
      description: "MediaConvert job id -> status (append a job id).",
    });
    new TerraformOutput(this, "job_id_table_name", {
      value: this.jobIdEndpoint.table.name,
      description: "DynamoDB table job_id_url reads (input file -> job id), written by the MediaConvert pipeline.",
    });
    new TerraformOutput(this, "status_table_name", {
      value: this.statusEndpoint.table.name,
      description: "DynamoDB table status_url reads (job id -> status), written by the MediaConvert pipeline.",
    });
    new TerraformOutput(this, "access_log_bucket_name", {
      value: this.accessLogBucket.bucket,
      description: "S3 bucket holding the load balancer's access logs.",
    });
  }
}
