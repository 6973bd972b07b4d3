import { AcmCertificate } from "@cdktf/provider-aws/lib/acm-certificate";
import { AcmCertificateValidation } from "@cdktf/provider-aws/lib/acm-certificate-validation";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { DataAwsElbServiceAccount } from "@cdktf/provider-aws/lib/data-aws-elb-service-account";
import { DataAwsRoute53Zone } from "@cdktf/provider-aws/lib/data-aws-route53-zone";
import { DataAwsSubnets } from "@cdktf/provider-aws/lib/data-aws-subnets";
import { DataAwsVpc } from "@cdktf/provider-aws/lib/data-aws-vpc";
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { Lb } from "@cdktf/provider-aws/lib/lb";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import { LbListenerRule } from "@cdktf/provider-aws/lib/lb-listener-rule";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import { LbTargetGroupAttachment } from "@cdktf/provider-aws/lib/lb-target-group-attachment";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { Testing } from "cdktf";
import { defaultDeployment, offlineLookups } from "../config";
import { DeploymentConfig } from "../blocks/deployment";
import { ELB_LOG_DELIVERY_PRINCIPAL, MediaAlbStack, MediaAlbStackProps } from "../stacks/media-alb";
import { blocksOf, findOne, policyStatements, suppliedDeployment, Synthesized, synthesize } from "./support/synth";

function synth(props: Partial<MediaAlbStackProps> = {}, deployment: DeploymentConfig = suppliedDeployment): Synthesized {
  return synthesize(new MediaAlbStack(Testing.app(), "media-alb", { deployment, ...props }));
}

describe("media-alb stack: the seed's resources (lookups supplied)", () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synth();
  });

  test("security group AllowHttpGroup in the supplied VPC", () => {
    expect(s.text).toHaveResourceWithProperties(SecurityGroup, {
      name: "dev-AllowHttpGroup",
      description: "Allow HTTP/HTTPS security group",
      vpc_id: offlineLookups.vpcId,
    });
  });

  test("HTTP and HTTPS in from anywhere, IPv4 and IPv6; nothing out (fix: the ALB invokes Lambda targets through the Lambda API)", () => {
    for (const port of [80, 443]) {
      for (const cidr of [{ cidr_ipv4: "0.0.0.0/0" }, { cidr_ipv6: "::/0" }]) {
        expect(s.text).toHaveResourceWithProperties(VpcSecurityGroupIngressRule, {
          ip_protocol: "tcp",
          from_port: port,
          to_port: port,
          ...cidr,
        });
      }
    }
    expect(blocksOf(s, VpcSecurityGroupIngressRule.tfResourceType)).toHaveLength(4);
    expect(s.text).not.toHaveResource(VpcSecurityGroupEgressRule);
    // No inline egress either: Terraform then removes the all-out rule AWS adds to a new group.
    expect(blocksOf(s, SecurityGroup.tfResourceType).map((g) => g.egress)).toEqual([undefined]);
  });

  test("fix: both functions have reserved concurrency from a variable (default 50), both tables deletion protection", () => {
    const functions = blocksOf(s, LambdaFunction.tfResourceType);
    expect(functions).toHaveLength(2);
    for (const fn of functions) expect(fn.reserved_concurrent_executions).toBe("${var.reserved_concurrent_executions}");
    expect(s.json.variable.reserved_concurrent_executions).toMatchObject({ type: "number", default: 50 });
    const tables = blocksOf(s, DynamodbTable.tfResourceType);
    expect(tables.map((t) => t.deletion_protection_enabled)).toEqual(["${var.table_deletion_protection}", "${var.table_deletion_protection}"]);
    expect(s.json.variable.table_deletion_protection).toMatchObject({ default: true });
  });

  test("ALB api-lb: internet-facing application LB in the supplied subnets, only AllowHttpGroup", () => {
    const [lb] = blocksOf(s, Lb.tfResourceType);
    expect(lb).toMatchObject({
      name: "dev-api-lb",
      internal: false,
      load_balancer_type: "application",
      subnets: offlineLookups.subnetIds,
      enable_deletion_protection: "${var.deletion_protection}",
      drop_invalid_header_fields: true,
      access_logs: { enabled: true, prefix: "api-lb" },
    });
    expect(s.json.variable.deletion_protection).toMatchObject({ type: "bool", default: true });
    expect(lb.security_groups).toEqual([expect.stringContaining("aws_security_group.security_group.id")]);
    expect(String((lb.access_logs as Record<string, unknown>).bucket)).toContain("aws_s3_bucket.access_log_bucket.id");
    // The ALB writes a test object on creation: the policy letting ELB write must exist first.
    expect(lb.depends_on).toEqual([expect.stringContaining("aws_s3_bucket_policy.access_log_bucket_policy")]);
  });

  test("access log bucket: SSE-S3 (what ELB supports), public access blocked, expiry", () => {
    expect(s.text).toHaveResourceWithProperties(S3Bucket, { bucket: "dev-logs-api-lb-123456789012" });
    expect(s.text).toHaveResourceWithProperties(S3BucketServerSideEncryptionConfigurationA, {
      rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: "AES256" } }],
    });
    expect(s.text).toHaveResourceWithProperties(S3BucketPublicAccessBlock, {
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(s.text).toHaveResourceWithProperties(S3BucketLifecycleConfiguration, {
      rule: [expect.objectContaining({ status: "Enabled", expiration: [{ days: 90 }] })],
    });
  });

  test("bucket policy: TLS only, ELB log delivery may write the ALB's prefix only (account and service principal)", () => {
    expect(blocksOf(s, S3BucketPolicy.tfResourceType)).toHaveLength(1);
    expect(s.text).toHaveDataSource(DataAwsElbServiceAccount);
    const statements = policyStatements(s, "access_log_bucket_policy_document");
    expect(statements).toContainEqual(
      expect.objectContaining({
        sid: "DenyInsecureTransport",
        effect: "Deny",
        actions: ["s3:*"],
        condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
      }),
    );
    const writers = statements.filter((st) => st.sid?.startsWith("AllowElbLogDelivery"));
    expect(writers.map((st) => st.principals?.[0].type).sort()).toEqual(["AWS", "Service"]);
    expect(writers.find((st) => st.principals?.[0].type === "Service")?.principals?.[0].identifiers).toEqual([
      ELB_LOG_DELIVERY_PRINCIPAL,
    ]);
    expect(writers.find((st) => st.principals?.[0].type === "AWS")?.principals?.[0].identifiers).toEqual([
      expect.stringContaining("data.aws_elb_service_account"),
    ]);
    for (const st of writers) {
      expect(st.actions).toEqual(["s3:PutObject"]);
      expect(st.resources).toEqual([expect.stringMatching(/\/api-lb\/AWSLogs\/123456789012\/\*$/)]);
    }
  });

  test("HTTPS 443: certificate, TLS 1.2+ policy, default action a fixed JSON 404", () => {
    expect(s.text).toHaveResourceWithProperties(LbListener, {
      port: 443,
      protocol: "HTTPS",
      ssl_policy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
      certificate_arn: expect.stringMatching(/^\$\{aws_acm_certificate_validation\.certificate_validation_\w+\.certificate_arn\}$/),
      default_action: [
        {
          type: "fixed-response",
          fixed_response: { status_code: "404", content_type: "application/json", message_body: '{"message":"Not Found"}' },
        },
      ],
    });
  });

  test("HTTP 80 only redirects to HTTPS 443 (301)", () => {
    expect(s.text).toHaveResourceWithProperties(LbListener, {
      port: 80,
      protocol: "HTTP",
      default_action: [{ type: "redirect", redirect: { port: "443", protocol: "HTTPS", status_code: "HTTP_301" } }],
    });
    expect(blocksOf(s, LbListener.tfResourceType)).toHaveLength(2);
  });

  test("default certificate: requested for api-lb.<zone> and DNS-validated in the supplied zone", () => {
    expect(s.text).toHaveResourceWithProperties(AcmCertificate, {
      domain_name: "api-lb.${var.zone_name}",
      validation_method: "DNS",
    });
    expect(s.text).toHaveResource(AcmCertificateValidation);
    expect(s.text).toHaveResourceWithProperties(Route53Record, {
      zone_id: offlineLookups.hostedZoneId,
      ttl: 60,
      allow_overwrite: true,
      for_each: expect.stringMatching(/aws_acm_certificate\.certificate_\w+\.domain_validation_options/),
    });
  });

  test.each([
    ["dev-media-job-id", "/media/job_id", 1, "dev-mediaConvertInputFileToJobIdApi"],
    ["dev-media-status", "/media/status", 2, "dev-mediaConvertJobIdToStatusApi"],
  ])("target group %s (lambda) behind rule %s (priority %d) -> %s", (tgName, path, priority, functionName) => {
    const tg = findOne(s, LbTargetGroup.tfResourceType, (r) => r.name === tgName);
    expect(tg.body).toMatchObject({ target_type: "lambda", lambda_multi_value_headers_enabled: false });
    const tgArn = `\${aws_lb_target_group.${tg.name}.arn}`;
    const fn = findOne(s, LambdaFunction.tfResourceType, (r) => r.function_name === functionName);
    const fnRef = `aws_lambda_function.${fn.name}`;

    expect(s.text).toHaveResourceWithProperties(LbListenerRule, {
      priority,
      listener_arn: "${aws_lb_listener.https_listener.arn}",
      condition: [{ path_pattern: { values: [path] } }],
      action: [{ type: "forward", target_group_arn: tgArn }],
    });
    const permission = findOne(s, LambdaPermission.tfResourceType, (r) => r.source_arn === tgArn);
    expect(permission.body).toMatchObject({
      action: "lambda:InvokeFunction",
      principal: "elasticloadbalancing.amazonaws.com",
      function_name: `\${${fnRef}.function_name}`,
    });
    const attachment = findOne(s, LbTargetGroupAttachment.tfResourceType, (r) => r.target_group_arn === tgArn);
    expect(attachment.body).toMatchObject({
      target_id: `\${${fnRef}.arn}`,
      depends_on: [`aws_lambda_permission.${permission.name}`],
    });
  });

  test.each([
    ["dev-MediaConvertInputFileToJobId", "InputFile", "dev-mediaConvertInputFileToJobIdApi"],
    ["dev-MediaConvertJobIdToStatus", "JobId", "dev-mediaConvertJobIdToStatusApi"],
  ])("table %s (key %s): on-demand, encrypted, PITR; read by %s with GetItem on it only", (tableName, key, functionName) => {
    const table = findOne(s, DynamodbTable.tfResourceType, (r) => r.name === tableName);
    expect(table.body).toMatchObject({
      billing_mode: "PAY_PER_REQUEST",
      hash_key: key,
      attribute: [{ name: key, type: "S" }],
      server_side_encryption: { enabled: true },
      point_in_time_recovery: { enabled: true },
    });
    const fn = findOne(s, LambdaFunction.tfResourceType, (r) => r.function_name === functionName);
    expect(fn.body).toMatchObject({
      runtime: "nodejs22.x",
      handler: "index.handler",
      environment: {
        variables: {
          TABLE_NAME: `\${aws_dynamodb_table.${table.name}.name}`,
          ALLOWED_ORIGINS: expect.stringContaining("var.allowed_origins"),
        },
      },
    });
    const prefix = fn.name.replace(/_function_[A-F0-9]+$/, "");
    const statements = policyStatements(s, `${prefix}_policy_document`);
    expect(statements).toContainEqual({
      sid: "ReadOwnTable",
      actions: ["dynamodb:GetItem"],
      resources: [`\${aws_dynamodb_table.${table.name}.arn}`],
    });
    expect(statements).toHaveLength(2); // + writing its own log group
    expect(s.text).toHaveResourceWithProperties(CloudwatchLogGroup, {
      name: `/aws/lambda/${functionName}`,
      retention_in_days: defaultDeployment.logRetentionDays,
    });
  });

  test("ALLOWED_ORIGINS: the variable, or the zone's pages when it is empty", () => {
    const variable = s.json.variable.allowed_origins;
    expect(variable).toMatchObject({ type: "string", default: "" });
    const fn = blocksOf(s, LambdaFunction.tfResourceType)[0];
    const origins = (fn.environment as { variables: Record<string, string> }).variables.ALLOWED_ORIGINS;
    expect(origins).toContain("coalesce(");
    expect(origins).toContain('"https://([a-z0-9-]+[.])*${replace(var.zone_name, ".", "[.]")}"');
  });

  test("DNS: alias A record api-lb.<zone> to the ALB in the supplied zone", () => {
    expect(s.text).toHaveResourceWithProperties(Route53Record, {
      name: "api-lb.${var.zone_name}",
      type: "A",
      zone_id: offlineLookups.hostedZoneId,
      alias: {
        name: "${aws_lb.load_balancer.dns_name}",
        zone_id: "${aws_lb.load_balancer.zone_id}",
        evaluate_target_health: true,
      },
    });
  });

  test("alarms: ALB 5xx (its own and the targets'), LambdaUserError per target group, errors/throttles per function, all to the topic", () => {
    expect(s.text).toHaveResourceWithProperties(SnsTopic, { name: "dev-media-alb-alarms" });
    const alarms = blocksOf(s, CloudwatchMetricAlarm.tfResourceType);
    const byMetric = (metric: string) => alarms.filter((a) => a.metric_name === metric);
    for (const metric of ["HTTPCode_ELB_5XX_Count", "HTTPCode_Target_5XX_Count"]) {
      expect(byMetric(metric)).toEqual([
        expect.objectContaining({
          namespace: "AWS/ApplicationELB",
          dimensions: { LoadBalancer: "${aws_lb.load_balancer.arn_suffix}" },
          comparison_operator: "GreaterThanThreshold",
          threshold: 0,
        }),
      ]);
    }
    const userErrors = byMetric("LambdaUserError");
    expect(userErrors).toHaveLength(2);
    for (const alarm of userErrors) {
      expect(alarm.dimensions).toEqual({
        LoadBalancer: "${aws_lb.load_balancer.arn_suffix}",
        TargetGroup: expect.stringMatching(/^\$\{aws_lb_target_group\..+\.arn_suffix\}$/),
      });
    }
    expect(byMetric("Errors")).toHaveLength(2);
    expect(byMetric("Throttles")).toHaveLength(2);
    for (const alarm of alarms) expect(alarm.alarm_actions).toEqual([expect.stringContaining("aws_sns_topic.")]);
  });

  test("outputs: ALB DNS name, API URL, table names", () => {
    const outputs = s.json.output as Record<string, { value: string }>;
    expect(outputs.alb_dns_name.value).toBe("${aws_lb.load_balancer.dns_name}");
    expect(outputs.custom_domain_url.value).toBe("https://${aws_route53_record.record.fqdn}");
    expect(outputs.job_id_table_name.value).toMatch(/^\$\{aws_dynamodb_table\..+\.name\}$/);
    expect(outputs.status_table_name.value).toMatch(/^\$\{aws_dynamodb_table\..+\.name\}$/);
  });

  test("supplied lookups replace every AWS lookup", () => {
    for (const ds of [DataAwsVpc, DataAwsSubnets, DataAwsRoute53Zone, DataAwsCallerIdentity]) {
      expect(s.text).not.toHaveDataSource(ds);
    }
  });
});

describe("media-alb stack: nothing supplied (the default VPC, the zone by name)", () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synth({}, { ...defaultDeployment, lambdaPackaging: "asset" });
  });

  test("default VPC and its default-for-az subnets through data sources", () => {
    expect(s.text).toHaveDataSourceWithProperties(DataAwsVpc, { default: true });
    expect(s.text).toHaveDataSourceWithProperties(DataAwsSubnets, {
      filter: [
        { name: "vpc-id", values: ["${data.aws_vpc.vpc.id}"] },
        { name: "default-for-az", values: ["true"] },
      ],
    });
    expect(s.text).toHaveResourceWithProperties(Lb, { subnets: "${data.aws_subnets.subnets.ids}" });
    expect(s.text).toHaveResourceWithProperties(SecurityGroup, { vpc_id: "${data.aws_vpc.vpc.id}" });
  });

  test("hosted zone by the zone_name variable; account id from the caller identity", () => {
    expect(s.text).toHaveDataSourceWithProperties(DataAwsRoute53Zone, { name: "${var.zone_name}", private_zone: false });
    expect(s.text).toHaveResourceWithProperties(Route53Record, { type: "A", zone_id: "${data.aws_route53_zone.zone.zone_id}" });
    expect(s.text).toHaveDataSource(DataAwsCallerIdentity);
    expect(s.text).toHaveResourceWithProperties(S3Bucket, {
      bucket: "dev-logs-api-lb-${data.aws_caller_identity.current_identity.account_id}",
    });
  });
});

describe("media-alb stack: options", () => {
  let existing: Synthesized;
  let newRegion: Synthesized;
  beforeAll(() => {
    existing = synth({
      certificate: { kind: "existing", certificateArn: "arn:aws:acm:ap-northeast-1:123456789012:certificate/wildcard" },
      deletionProtection: false,
      accessLogExpirationDays: 30,
      sslPolicy: "ELBSecurityPolicy-TLS13-1-3-2021-06",
    });
    newRegion = synth({}, { ...suppliedDeployment, region: "ap-southeast-5" });
  });

  test("an existing certificate (the seed's wildcard) replaces the requested one", () => {
    expect(existing.text).not.toHaveResource(AcmCertificate);
    expect(existing.text).not.toHaveResource(AcmCertificateValidation);
    expect(blocksOf(existing, Route53Record.tfResourceType).filter((r) => r.for_each !== undefined)).toEqual([]);
    expect(existing.text).toHaveResourceWithProperties(LbListener, {
      port: 443,
      certificate_arn: "arn:aws:acm:ap-northeast-1:123456789012:certificate/wildcard",
      ssl_policy: "ELBSecurityPolicy-TLS13-1-3-2021-06",
    });
  });

  test("deletion protection can be turned off (before destroy); log expiry is configurable", () => {
    expect(existing.json.variable.deletion_protection).toMatchObject({ default: false });
    expect(existing.text).toHaveResourceWithProperties(S3BucketLifecycleConfiguration, {
      rule: [expect.objectContaining({ expiration: [{ days: 30 }] })],
    });
  });

  test("a region opened after August 2022: log delivery by the service principal only", () => {
    expect(newRegion.text).not.toHaveDataSource(DataAwsElbServiceAccount);
    const writers = policyStatements(newRegion, "access_log_bucket_policy_document")
      .filter((st) => st.sid?.startsWith("AllowElbLogDelivery"));
    expect(writers).toEqual([
      expect.objectContaining({ principals: [{ type: "Service", identifiers: [ELB_LOG_DELIVERY_PRINCIPAL] }] }),
    ]);
  });
});
