/**
 * The shared constructs every stack is built from: configuration, the stack
 * base (tags, state backend), the Lambda-from-TypeScript construct and its
 * packaging, the custom domain, alarms, the dead-letter queue and entry-point declarations.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { TerraformStack, Testing } from "cdktf";
import { DataArchiveFile } from "@cdktf/provider-archive/lib/data-archive-file";
import { AcmCertificate } from "@cdktf/provider-aws/lib/acm-certificate";
import { AcmCertificateValidation } from "@cdktf/provider-aws/lib/acm-certificate-validation";
import { Apigatewayv2DomainName } from "@cdktf/provider-aws/lib/apigatewayv2-domain-name";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { IamPolicy } from "@cdktf/provider-aws/lib/iam-policy";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { defaultDeployment, loadDeployment, offlineLookups } from "../config";
import { ApiCustomDomain } from "../blocks/api-custom-domain";
import { DeadLetterQueue } from "../blocks/dead-letter-queue";
import { declareEntryPoint, ENTRY_POINT_CALLERS_LOCAL } from "../blocks/entry-points";
import { DeploymentConfig } from "../blocks/deployment";
import { buildBundle } from "../blocks/lambda/bundle";
import { NodejsFunction, NodejsFunctionProps } from "../blocks/lambda/nodejs-function";
import { AlarmTopic } from "../blocks/alarm-topic";
import { ServerlessStack } from "../blocks/serverless-stack";
import { KinesisIngestStack } from "../stacks/kinesis-ingest";
import { StackJson, Synthesized, synthesize } from "./support/synth";

const ENTRY = "__tests__/fixtures/hello-handler.ts";

function stackWithFunction(deployment: DeploymentConfig, overrides: Partial<NodejsFunctionProps> = {}): ServerlessStack {
  const stack = new ServerlessStack(Testing.app(), "test", { deployment });
  const alarms = new AlarmTopic(stack, "alarms", { topicName: "dev-test-alarms", accountId: "123456789012" });
  new NodejsFunction(stack, "handler", {
    entry: ENTRY,
    functionName: stack.name("hello"),
    roleName: stack.name("hello-role"),
    packaging: deployment.lambdaPackaging,
    logRetentionDays: deployment.logRetentionDays,
    statements: [{ actions: ["dynamodb:PutItem"], resources: ["arn:aws:dynamodb:ap-northeast-1:123456789012:table/x"] }],
    alarms,
    ...overrides,
  });
  return stack;
}

describe("loadDeployment", () => {
  test("defaults reproduce the seeds: dev, ap-northeast-1, archive_file packaging, local state", () => {
    const deployment = loadDeployment({});
    expect(deployment).toMatchObject({ name: "dev", region: "ap-northeast-1", lambdaPackaging: "archive", offline: false });
    expect(deployment.stateBackend).toEqual({ kind: "local" });
    expect(deployment.lookups).toEqual({});
  });

  test("OFFLINE=1 supplies every lookup and packages as assets (no archive provider needed)", () => {
    const deployment = loadDeployment({ OFFLINE: "1" });
    expect(deployment.offline).toBe(true);
    expect(deployment.lookups).toEqual(offlineLookups);
    expect(deployment.lambdaPackaging).toBe("asset");
  });

  test("STATE_BUCKET switches to the S3 backend", () => {
    expect(loadDeployment({ STATE_BUCKET: "tf-state", STATE_LOCK_TABLE: "locks" }).stateBackend).toEqual({
      kind: "s3",
      bucket: "tf-state",
      region: undefined,
      dynamodbLockTable: "locks",
    });
  });

  test("bad values fail with a message naming the variable", () => {
    expect(() => loadDeployment({ LAMBDA_PACKAGING: "tarball" })).toThrow(/LAMBDA_PACKAGING/);
    expect(() => loadDeployment({ APP_ENV: "Prod Env" })).toThrow(/APP_ENV/);
  });
});

describe("ServerlessStack", () => {
  test("provider carries default tags: project, stack, environment", () => {
    const json = JSON.parse(Testing.synth(new ServerlessStack(Testing.app(), "tags", { deployment: defaultDeployment })));
    expect(json.provider.aws[0].default_tags[0].tags).toEqual({
      project: defaultDeployment.project,
      stack: "tags",
      environment: "dev",
    });
  });

  test("local state by default, relative to the stack folder (same synth output on every machine)", () => {
    const json = JSON.parse(Testing.synth(new ServerlessStack(Testing.app(), "local", { deployment: defaultDeployment })));
    expect(json.terraform.backend.local.path).toBe("../../../terraform.local.tfstate");
  });

  test("S3 state: encrypted, keyed by environment and stack, S3 native lock file", () => {
    const deployment: DeploymentConfig = { ...defaultDeployment, name: "prod", stateBackend: { kind: "s3", bucket: "tf-state" } };
    const s3 = JSON.parse(Testing.synth(new ServerlessStack(Testing.app(), "shared", { deployment }))).terraform.backend.s3;
    expect(s3).toMatchObject({
      bucket: "tf-state",
      key: "cdktf/prod/shared.tfstate",
      region: "ap-northeast-1",
      encrypt: true,
      use_lockfile: true,
    });
  });

  test("S3 state with a DynamoDB lock table instead of the lock file", () => {
    const deployment: DeploymentConfig = {
      ...defaultDeployment,
      stateBackend: { kind: "s3", bucket: "tf-state", dynamodbLockTable: "tf-locks" },
    };
    const s3 = JSON.parse(Testing.synth(new ServerlessStack(Testing.app(), "shared", { deployment }))).terraform.backend.s3;
    expect(s3.dynamodb_table).toBe("tf-locks");
    expect(s3.use_lockfile).toBeUndefined();
  });

  test("offline: the provider makes no call to AWS; account id comes from the supplied lookups", () => {
    const stack = new KinesisIngestStack(Testing.app(), "offline", { deployment: loadDeployment({ OFFLINE: "1" }) });
    expect(Testing.synth(stack)).toContain(`arn:aws:iam::${offlineLookups.accountId}:root`);
    const provider = JSON.parse(Testing.synth(stack)).provider.aws[0];
    expect(provider).toMatchObject({
      skip_credentials_validation: true,
      skip_requesting_account_id: true,
      skip_metadata_api_check: "true",
    });
    expect(JSON.parse(Testing.synth(stack)).data?.aws_caller_identity).toBeUndefined();
  });
});

describe("declareEntryPoint", () => {
  test("a declaration whose reason is empty or blank throws, naming the entry point, and declares nothing", () => {
    const stack = new TerraformStack(Testing.app(), "entry");
    const queue = new SqsQueue(stack, "queue");
    for (const reason of ["", "  \t"]) {
      expect(() => declareEntryPoint(queue, { caller: "public", reason })).toThrow("entry/queue: an entry point declaration needs a reason");
    }
    expect(stack.node.tryFindChild(ENTRY_POINT_CALLERS_LOCAL)).toBeUndefined();
    declareEntryPoint(queue, { caller: "public", reason: "a reason" });
    expect(stack.node.tryFindChild(ENTRY_POINT_CALLERS_LOCAL)).toBeDefined(); // the check above can tell
  });
});

describe("NodejsFunction, asset packaging", () => {
  const deployment: DeploymentConfig = { ...defaultDeployment, lambdaPackaging: "asset" };
  let synth: string;
  let json: StackJson;
  const bundle = buildBundle(ENTRY);

  beforeAll(() => {
    ({ text: synth, json } = synthesize(stackWithFunction(deployment)));
  });

  test("function: nodejs22.x, index.handler, source_code_hash is the zip's base64 SHA-256", () => {
    expect(synth).toHaveResourceWithProperties(LambdaFunction, {
      function_name: "dev-hello",
      runtime: "nodejs22.x",
      handler: "index.handler",
      memory_size: 128,
      timeout: 3,
      source_code_hash: bundle.zipBase64Sha256,
    });
    const fn = Object.values(json.resource.aws_lambda_function)[0];
    expect(String(fn.filename)).toMatch(/^assets\//);
  });

  test("the same source gives the same bytes and hash (build twice, no cache)", () => {
    const again = buildBundle(ENTRY);
    expect(again.zipBase64Sha256).toBe(bundle.zipBase64Sha256);
    expect(readFileSync(again.zipFile).equals(readFileSync(bundle.zipFile))).toBe(true);
  });

  test("the zip is a valid archive holding exactly the bundled index.js", () => {
    const out = mkdtempSync(path.join(tmpdir(), "unzip-"));
    execFileSync("unzip", ["-q", bundle.zipFile, "-d", out]);
    expect(readFileSync(path.join(out, "index.js")).equals(readFileSync(path.join(bundle.dir, "index.js")))).toBe(true);
    expect(execFileSync("unzip", ["-Z1", bundle.zipFile]).toString().trim()).toBe("index.js");
  });

  test("the stack folder is self-contained: the zip is copied next to cdk.tf.json", () => {
    const stack = stackWithFunction(deployment);
    const outdir = Testing.fullSynth(stack);
    const stackJson = JSON.parse(readFileSync(path.join(outdir, "stacks", "test", "cdk.tf.json"), "utf8")) as StackJson;
    const filename = String(Object.values(stackJson.resource.aws_lambda_function)[0].filename);
    expect(existsSync(path.join(outdir, "stacks", "test", filename))).toBe(true);
  });

  test("log group with retention, and the role may write only to it", () => {
    expect(synth).toHaveResourceWithProperties(CloudwatchLogGroup, { name: "/aws/lambda/dev-hello", retention_in_days: 14 });
    const doc = Object.values(json.data.aws_iam_policy_document).find((d) => d.statement && JSON.stringify(d).includes("logs:"));
    const statements = doc?.statement as { actions: string[]; resources: string[] }[];
    const logs = statements.find((s) => s.actions.includes("logs:PutLogEvents"));
    expect(logs?.resources).toEqual([expect.stringMatching(/^\$\{aws_cloudwatch_log_group\.[\w]+\.arn\}:\*$/)]);
    expect(JSON.stringify(statements)).not.toContain("arn:aws:logs:*:*:*");
    expect(synth).toHaveResourceWithProperties(IamRolePolicy, { name: "dev-hello-policy" });
  });

  test("alarms on errors and throttles, wired to the topic", () => {
    for (const metric of ["Errors", "Throttles"]) {
      expect(synth).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
        namespace: "AWS/Lambda",
        metric_name: metric,
        alarm_actions: [expect.stringMatching(/aws_sns_topic/)],
      });
    }
  });
});

describe("NodejsFunction, archive_file packaging (the seeds' way)", () => {
  test("archive_file zips the bundled folder shipped as an asset; the hash comes from the archive", () => {
    const { text: synth, json } = synthesize(stackWithFunction(defaultDeployment));
    expect(synth).toHaveDataSourceWithProperties(DataArchiveFile, {
      type: "zip",
      source_dir: expect.stringMatching(/^assets\//),
      output_path: "${path.module}/.cache/dev-hello.zip",
    });
    expect(synth).toHaveResourceWithProperties(LambdaFunction, {
      source_code_hash: expect.stringMatching(/^\$\{data\.archive_file\.[\w]+\.output_base64sha256\}$/),
    });
    expect(Object.keys(json.provider)).toContain("archive");
  });

  test("managed policy form: aws_iam_policy with description, attached to the role; extra managed ARNs attached", () => {
    const synth = Testing.synth(
      stackWithFunction(defaultDeployment, {
        rolePolicy: { kind: "managed", name: "dev-hello-policy", description: "kept from the seed" },
        managedPolicyArns: ["arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"],
      }),
    );
    expect(synth).toHaveResourceWithProperties(IamPolicy, { name: "dev-hello-policy", description: "kept from the seed" });
    expect(synth).toHaveResourceWithProperties(IamRolePolicyAttachment, {
      policy_arn: "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole",
    });
    expect(synth).not.toHaveResource(IamRolePolicy);
  });
});

describe("ApiCustomDomain", () => {
  function domainStack(certificate: ConstructorParameters<typeof ApiCustomDomain>[2]["certificate"]): Synthesized {
    const stack = new ServerlessStack(Testing.app(), "domain", { deployment: defaultDeployment });
    new ApiCustomDomain(stack, "domain", {
      domainName: "api.example.com",
      hostedZoneId: "Z123",
      certificate,
      apiId: "api-id",
      stage: "$default",
    });
    return synthesize(stack);
  }

  test("create: DNS-validated certificate for the same host name; validation records via for_each; domain waits", () => {
    const { text: synth, json } = domainStack({ kind: "create" });
    expect(synth).toHaveResourceWithProperties(AcmCertificate, { domain_name: "api.example.com", validation_method: "DNS" });
    const validation = Object.values(json.resource.aws_route53_record).find((r) => r.for_each);
    expect(validation).toMatchObject({ ttl: 60, allow_overwrite: true, zone_id: "Z123" });
    expect(String(validation?.for_each)).toContain("domain_validation_options");
    expect(synth).toHaveResource(AcmCertificateValidation);
    const domain = Object.values(json.resource.aws_apigatewayv2_domain_name)[0];
    expect(domain).toMatchObject({
      domain_name: "api.example.com",
      domain_name_configuration: { endpoint_type: "REGIONAL", security_policy: "TLS_1_2" },
    });
    expect(domain.depends_on).toEqual([expect.stringMatching(/^aws_acm_certificate_validation\./)]);
    // The domain takes the validated ARN (DnsValidatedCertificate.certificateArn), not the raw certificate's.
    const [validationId] = Object.keys(json.resource.aws_acm_certificate_validation);
    expect(domain.domain_name_configuration).toMatchObject({
      certificate_arn: `\${aws_acm_certificate_validation.${validationId}.certificate_arn}`,
    });
    expect(synth).toHaveResourceWithProperties(Route53Record, { type: "A", name: expect.stringContaining("domain_name") });
  });

  test("existing: no certificate resources, the given ARN is used", () => {
    const { text: synth } = domainStack({ kind: "existing", certificateArn: "arn:aws:acm:ap-northeast-1:123456789012:certificate/x" });
    expect(synth).not.toHaveResource(AcmCertificate);
    expect(synth).toHaveResourceWithProperties(Apigatewayv2DomainName, {
      domain_name_configuration: expect.objectContaining({
        certificate_arn: "arn:aws:acm:ap-northeast-1:123456789012:certificate/x",
      }),
    });
  });
});

describe("DeadLetterQueue", () => {
  test("encrypted, 14-day retention, alarms on depth and oldest-message age", () => {
    const stack = new ServerlessStack(Testing.app(), "dlq", { deployment: defaultDeployment });
    new DeadLetterQueue(stack, "dlq", { queueName: "dev-dlq", alarms: new AlarmTopic(stack, "alarms", { topicName: "dev-test-alarms", accountId: "123456789012" }) });
    const synth = Testing.synth(stack);
    expect(synth).toHaveResourceWithProperties(SqsQueue, {
      name: "dev-dlq",
      sqs_managed_sse_enabled: true,
      message_retention_seconds: 1209600,
    });
    for (const metric of ["ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage"]) {
      expect(synth).toHaveResourceWithProperties(CloudwatchMetricAlarm, { namespace: "AWS/SQS", metric_name: metric });
    }
  });
});

describe("a deployable stack's alarm topic", () => {
  test("its pattern owns one topic named after the stack (<env>-<id>-alarms), ALARM_EMAIL subscribed, the stack outputs it described", () => {
    const stack = new KinesisIngestStack(Testing.app(), "kinesis-ingest", { deployment: { ...defaultDeployment, lookups: offlineLookups, alarmEmail: "ops@example.com" } });
    const json = JSON.parse(Testing.synth(stack));
    expect(Object.values(json.resource.aws_sns_topic)).toEqual([expect.objectContaining({ name: "dev-kinesis-ingest-alarms" })]);
    expect(Object.values(json.resource.aws_sns_topic_subscription)).toEqual([expect.objectContaining({ protocol: "email", endpoint: "ops@example.com" })]);
    expect(json.output.alarm_topic_arn).toMatchObject({ value: expect.stringMatching(/^\$\{aws_sns_topic\.alarms_topic_\w+\.arn\}$/), description: expect.any(String) });
  });
});

describe("API keys in state (issue 26)", () => {
  const warnings = (deployment: DeploymentConfig, props: { callerAuth?: "api-key" | "iam" } = {}): string[] => {
    const stack = new KinesisIngestStack(Testing.app(), "kinesis-ingest", { deployment: { ...deployment, lookups: offlineLookups }, ...props });
    return stack.node.metadata.filter((m) => m.type === "@cdktf/warn").map((m) => String(m.data));
  };
  const s3 = (kmsKeyId?: string): DeploymentConfig => ({ ...defaultDeployment, stateBackend: { kind: "s3", bucket: "state", kmsKeyId } });

  test("synth warns when API keys meet a local state file or S3 state without a customer managed key", () => {
    expect(warnings(defaultDeployment)).toEqual([expect.stringContaining("API key values are stored in Terraform state, here a local state file")]);
    expect(warnings(s3())).toEqual([expect.stringContaining("S3 state without a customer managed key")]);
  });

  test("no warning with S3 state under a customer managed key, or without API keys", () => {
    expect(warnings(s3("arn:aws:kms:ap-northeast-1:123456789012:key/abc"))).toEqual([]);
    expect(warnings(defaultDeployment, { callerAuth: "iam" })).toEqual([]);
  });

  test("STATE_KMS_KEY_ID sets the S3 backend's key; without STATE_BUCKET it is refused", () => {
    const deployment = loadDeployment({ STATE_BUCKET: "my-state", STATE_KMS_KEY_ID: "arn:aws:kms:ap-northeast-1:123456789012:key/abc" });
    expect(deployment.stateBackend).toMatchObject({ kind: "s3", kmsKeyId: "arn:aws:kms:ap-northeast-1:123456789012:key/abc" });
    expect(() => loadDeployment({ STATE_KMS_KEY_ID: "arn:aws:kms:ap-northeast-1:123456789012:key/abc" })).toThrow("STATE_KMS_KEY_ID needs STATE_BUCKET");
    expect(() => loadDeployment({ STATE_BUCKET: "my-state", STATE_KMS_KEY_ID: "my-key" })).toThrow("STATE_KMS_KEY_ID");
  });
});
