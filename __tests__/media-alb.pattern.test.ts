/**
 * `MediaAlb` as a user composes it: in a plain TerraformStack of their own, with
 * only its one required prop (the zone), twice side by side, with a long name
 * prefix (ALB and target group names: 32 characters), and on tables they already have.
 */
import { DataAwsElbServiceAccount } from "@cdktf/provider-aws/lib/data-aws-elb-service-account";
import { DataAwsSubnets } from "@cdktf/provider-aws/lib/data-aws-subnets";
import { DataAwsVpc } from "@cdktf/provider-aws/lib/data-aws-vpc";
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { Lb } from "@cdktf/provider-aws/lib/lb";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { ALB_NAME_LIMIT, MediaAlb, MediaAlbProps } from "../patterns/media-alb";
import { Block, blocksOf, policyStatements, StackJson, Synthesized, synthesize } from "./support/synth";
import { userStack, expectSelfContained } from "./support/patterns";

const ZONE = { zoneName: "example.org" } as const;

function synthOne(props: Partial<MediaAlbProps> = {}): Synthesized {
  const stack = userStack();
  new MediaAlb(stack, "media", { ...ZONE, ...props });
  return synthesize(stack);
}

const environmentVariablesOf = (fn: Block): Record<string, unknown> =>
  (fn.environment as { variables: Record<string, unknown> }).variables;

/** Every physical name of every resource, by type: what AWS sees, and what must not collide. */
function physicalNames(json: StackJson): string[] {
  return Object.entries(json.resource).flatMap(([type, blocks]) =>
    Object.values(blocks)
      .map((block) => block.name ?? block.function_name ?? block.alarm_name ?? block.bucket)
      .filter((name): name is string => typeof name === "string" && !name.startsWith("${"))
      .map((name) => `${type}:${name}`),
  );
}

/** How many blocks of each resource and data source type the stack has. */
function countsByType(json: StackJson): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const [kind, section] of [["resource", json.resource], ["data", json.data]] as const) {
    for (const [type, blocks] of Object.entries(section)) counts[`${kind}.${type}`] = Object.keys(blocks).length;
  }
  return counts;
}

describe("MediaAlb with only its zone in a plain stack", () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synthOne();
  });

  test("synthesizes with the user's provider only: no provider, backend, variable or output of its own", () => {
    expectSelfContained(s.json);
  });

  test("names everything from the construct path (mine-media-...), settings as literal values", () => {
    expect(s.text).toHaveResourceWithProperties(Lb, { name: "mine-media-api-lb", enable_deletion_protection: true });
    expect(s.text).toHaveResourceWithProperties(DynamodbTable, { name: "mine-media-MediaConvertJobIdToStatus", deletion_protection_enabled: true });
    // Not prefixed by design: DNS names (the zone's), log groups (`/aws/lambda/<function>`), key aliases (`alias/<topic>`).
    const prefixed = physicalNames(s.json).filter((name) => !/^aws_(route53_record|cloudwatch_log_group|kms_alias):/.test(name));
    expect(prefixed.length).toBeGreaterThan(15);
    expect(prefixed.filter((name) => !name.split(":")[1].startsWith("mine-media-"))).toEqual([]);
    for (const fn of blocksOf(s.json, "aws_lambda_function")) {
      expect(fn.reserved_concurrent_executions).toBe(50);
      // The zone's pages, computed at synth from the literal zone.
      expect(environmentVariablesOf(fn).ALLOWED_ORIGINS).toBe("https://([a-z0-9-]+[.])*example[.]org");
    }
  });

  test("the default VPC and its default-for-AZ subnets, looked up inside the pattern", () => {
    expect(s.text).toHaveDataSourceWithProperties(DataAwsVpc, { default: true });
    expect(s.text).toHaveDataSourceWithProperties(DataAwsSubnets, {
      filter: [
        { name: "vpc-id", values: [`\${data.aws_vpc.${onlyDataName(s.json, "aws_vpc")}.id}`] },
        { name: "default-for-az", values: ["true"] },
      ],
    });
  });

  test("a region unknown at synth: log delivery by the service principal and the regional ELB account", () => {
    expect(s.text).toHaveDataSource(DataAwsElbServiceAccount);
    const writers = policyStatements(s.json, "media_access_log_bucket_policy_document").filter((st) => st.sid?.startsWith("AllowElbLogDelivery"));
    expect(writers.map((st) => st.principals?.[0].type).sort()).toEqual(["AWS", "Service"]);
  });
});

function onlyDataName(json: StackJson, dataType: string): string {
  const names = Object.keys(json.data[dataType] ?? {});
  if (names.length !== 1) throw new Error(`expected one data.${dataType}, got ${names.join(", ")}`);
  return names[0];
}

describe("MediaAlb options", () => {
  test("a VPC and subnets given: no lookup, the load balancer and security group use them", () => {
    const s = synthOne({ vpcId: "vpc-0abc", subnetIds: ["subnet-a", "subnet-b"] });
    expect(s.text).not.toHaveDataSource(DataAwsVpc);
    expect(s.text).not.toHaveDataSource(DataAwsSubnets);
    expect(s.text).toHaveResourceWithProperties(Lb, { subnets: ["subnet-a", "subnet-b"] });
    expect(s.text).toHaveResourceWithProperties(SecurityGroup, { vpc_id: "vpc-0abc" });
  });

  test("a region given: the ELB account only where it delivers the logs", () => {
    expect(synthOne({ region: "ap-southeast-5" }).text).not.toHaveDataSource(DataAwsElbServiceAccount);
    expect(synthOne({ region: "eu-west-1" }).text).toHaveDataSource(DataAwsElbServiceAccount);
  });

  test("allowed origins given: passed as given; variables on: every setting a variable of the prefix", () => {
    const given = synthOne({ allowedOrigins: " https://app[.]example[.]org " });
    for (const fn of blocksOf(given.json, "aws_lambda_function")) {
      expect(environmentVariablesOf(fn).ALLOWED_ORIGINS).toBe("https://app[.]example[.]org");
    }
    const vars = synthOne({ variables: { prefix: "media_" }, webAcl: {} }).json.variable;
    expect(Object.keys(vars).sort()).toEqual([
      "media_allowed_origins",
      "media_deletion_protection",
      "media_reserved_concurrent_executions",
      "media_table_deletion_protection",
      "media_tracing",
      "media_waf_rate_limit",
    ]);
  });

  test("bad input is refused at synth, naming what is wrong", () => {
    const stack = userStack();
    expect(() => new MediaAlb(stack, "a", { zoneName: "Example.org" })).toThrow("mine/a: zoneName must be a lower-case DNS name");
    expect(() => new MediaAlb(stack, "b", { ...ZONE, hostLabel: "api.lb" })).toThrow("mine/b: hostLabel must be one lower-case DNS label");
    expect(() => new MediaAlb(stack, "c", { ...ZONE, allowedOrigins: "https://ok https://(bad" })).toThrow(
      'mine/c: allowedOrigins pattern 2 "https://(bad" is not a valid regular expression',
    );
    expect(() => new MediaAlb(stack, "d", { ...ZONE, accessLogExpirationDays: 0 })).toThrow("accessLogExpirationDays must be a whole number >= 1");
    expect(() => new MediaAlb(stack, "e", { ...ZONE, reservedConcurrentExecutions: 0.5 })).toThrow("reserved_concurrent_executions must be a whole number >= 1");
    // Plain JavaScript callers can leave the required prop out.
    expect(() => new MediaAlb(stack, "f", {} as MediaAlbProps)).toThrow("mine/f: zoneName is required");
  });
});

describe("two MediaAlb in one stack", () => {
  test("never collide: twice the blocks of one, distinct physical names, no variable or output", () => {
    const one = synthOne().json;
    const stack = userStack();
    new MediaAlb(stack, "media", ZONE);
    new MediaAlb(stack, "images", { ...ZONE, hostLabel: "images" });
    const { json } = synthesize(stack);
    const doubled = Object.fromEntries(Object.entries(countsByType(one)).map(([type, n]) => [type, 2 * n]));
    expect(countsByType(json)).toEqual(doubled);
    const names = physicalNames(json);
    expect(new Set(names).size).toBe(names.length);
    expect(Object.keys(json.variable)).toEqual([]);
    expect(Object.keys(json.output)).toEqual([]);
    // Both listeners declared public, each under its own address.
    expect(Object.keys(json.locals.entry_point_callers as Record<string, unknown>)).toHaveLength(2);
  });

  test("share one alarm topic when given; their alarms keep distinct ids and names", () => {
    const stack = userStack();
    const first = new MediaAlb(stack, "media", ZONE);
    new MediaAlb(stack, "images", { ...ZONE, hostLabel: "images", existingAlarmTopic: first.alarmTopic });
    const { json } = synthesize(stack);
    expect(blocksOf(json, "aws_sns_topic")).toHaveLength(1);
    const alarms = blocksOf(json, "aws_cloudwatch_metric_alarm");
    expect(alarms).toHaveLength(2 * blocksOf(synthOne().json, "aws_cloudwatch_metric_alarm").length);
    const topicArn = `\${aws_sns_topic.${Object.keys(json.resource.aws_sns_topic)[0]}.arn}`;
    expect(alarms.filter((a) => JSON.stringify(a.alarm_actions) !== JSON.stringify([topicArn]))).toEqual([]);
    expect(new Set(alarms.map((a) => a.alarm_name)).size).toBe(alarms.length);
  });

  test("a long namePrefix: load balancer and target group names within 32 characters, still distinct", () => {
    const stack = userStack();
    const prefix = "a-very-long-team-name-for-the-media-platform";
    new MediaAlb(stack, "one", { ...ZONE, namePrefix: `${prefix}-one` });
    new MediaAlb(stack, "two", { ...ZONE, namePrefix: `${prefix}-two` });
    const { json } = synthesize(stack);
    const albNames = [...blocksOf(json, Lb.tfResourceType), ...blocksOf(json, LbTargetGroup.tfResourceType)].map((b) => String(b.name));
    expect(albNames).toHaveLength(6);
    for (const name of albNames) {
      expect(name.length).toBeLessThanOrEqual(ALB_NAME_LIMIT);
      expect(name).toMatch(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/);
    }
    expect(new Set(albNames).size).toBe(albNames.length);
    // Function and role names stay within 64, the bucket within 63 with the account id.
    for (const fn of blocksOf(json, "aws_lambda_function")) expect(String(fn.function_name).length).toBeLessThanOrEqual(64);
    for (const role of blocksOf(json, "aws_iam_role")) expect(String(role.name).length).toBeLessThanOrEqual(64);
    for (const bucket of blocksOf(json, "aws_s3_bucket")) {
      expect(String(bucket.bucket).replace(/\$\{[^}]+\}$/, "123456789012").length).toBeLessThanOrEqual(63);
    }
  });
});

describe("MediaAlb on tables the user has", () => {
  const jobIds = { name: "jobs-by-file", arn: "arn:aws:dynamodb:eu-west-1:123456789012:table/jobs-by-file" };
  const statuses = { name: "job-status", arn: "arn:aws:dynamodb:eu-west-1:123456789012:table/job-status" };

  test("creates none, and each function reads (GetItem) the given table only", () => {
    const stack = userStack();
    const pattern = new MediaAlb(stack, "media", { ...ZONE, existingJobIdTable: jobIds, existingStatusTable: statuses });
    const { json } = synthesize(stack);
    expect(blocksOf(json, "aws_dynamodb_table")).toEqual([]);
    expect(pattern.jobIdTable).toBeUndefined();
    expect(pattern.statusTableRef).toBe(statuses);
    for (const [endpoint, table] of [["media_job_id_handler", jobIds], ["media_status_handler", statuses]] as const) {
      const statements = policyStatements(json, `${endpoint}_policy_document`);
      expect(statements.find((st) => st.sid === "ReadOwnTable")).toEqual({ sid: "ReadOwnTable", actions: ["dynamodb:GetItem"], resources: [table.arn] });
    }
    const tableNames = blocksOf(json, "aws_lambda_function").map((fn) => environmentVariablesOf(fn).TABLE_NAME).sort();
    expect(tableNames).toEqual([statuses.name, jobIds.name].sort());
  });

  test("one existing, the other new: only the new one is created", () => {
    const { json } = synthOne({ existingStatusTable: statuses });
    expect(blocksOf(json, "aws_dynamodb_table").map((t) => t.name)).toEqual(["mine-media-MediaConvertInputFileToJobId"]);
  });

  test("refuses an existing table together with overrides of a new one, naming both", () => {
    expect(() => new MediaAlb(userStack(), "media", { ...ZONE, existingJobIdTable: jobIds, jobIdTableProps: { billingMode: "PROVISIONED" } })).toThrow(
      "mine/media: either existingJobIdTable or jobIdTableProps, not both.",
    );
    expect(() => new MediaAlb(userStack(), "media", { ...ZONE, existingStatusTable: statuses, statusTableProps: { name: "x" } })).toThrow(
      "mine/media: either existingStatusTable or statusTableProps, not both.",
    );
  });

  test("merges overrides over the defaults: the user's value wins, the others stay", () => {
    const { text } = synthOne({ jobIdTableProps: { billingMode: "PROVISIONED", readCapacity: 5, writeCapacity: 5, name: "my-jobs" } });
    expect(text).toHaveResourceWithProperties(DynamodbTable, {
      name: "my-jobs",
      billing_mode: "PROVISIONED",
      hash_key: "InputFile",
      point_in_time_recovery: { enabled: true },
      server_side_encryption: { enabled: true },
    });
    expect(text).toHaveResourceWithProperties(DynamodbTable, { name: "mine-media-MediaConvertJobIdToStatus", billing_mode: "PAY_PER_REQUEST" });
  });
});
