/**
 * The alarm topic is deliverable: the synthesized key policy, evaluated the way
 * KMS evaluates a key policy (explicit Allow with every condition met), lets
 * CloudWatch alarms of this account use the topic's key, and nobody else's.
 */
import { TerraformStack, Testing } from "cdktf";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { offlineLookups } from "../config";
import { AlarmTopic, PUBLISHER_KEY_ACTIONS } from "../blocks/alarm-topic";
import { onlyOf, PolicyStatement, synthesize } from "./support/synth";

interface Request {
  readonly principal: { type: string; id: string };
  readonly action: string;
  readonly context: Readonly<Record<string, string>>;
}

/** A key-policy evaluator for the operators the project uses (StringEquals, ArnLike). */
function allowed(statements: readonly PolicyStatement[], request: Request): boolean {
  const wildcard = (pattern: string, value: string): boolean =>
    new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`).test(value);
  return statements.some(
    (s) =>
      (s.effect ?? "Allow") === "Allow" &&
      (s.principals ?? []).some((p) => p.type === request.principal.type && p.identifiers.includes(request.principal.id)) &&
      (s.actions ?? []).some((a) => wildcard(a, request.action)) &&
      (s.condition ?? []).every((c) => {
        const value = request.context[c.variable];
        if (value === undefined) return false;
        if (c.test === "StringEquals") return c.values.includes(value);
        if (c.test === "ArnLike") return c.values.some((v) => wildcard(v, value));
        return false;
      }),
  );
}

describe("AlarmTopic", () => {
  const account = offlineLookups.accountId as string;
  // A pattern's topic, with the account supplied as offline plans do.
  const stack = new TerraformStack(Testing.app(), "alarm-topic");
  new AlarmTopic(stack, "alarms", { topicName: "dev-alarm-topic-alarms", accountId: account, alarmNamePattern: "dev-*" });
  const { text: synth, json } = synthesize(stack);
  const keyPolicy = onlyOf(json, "aws_iam_policy_document", "data").body.statement as PolicyStatement[];
  const cloudWatch = { type: "Service", id: "cloudwatch.amazonaws.com" };

  test("the topic is encrypted with the stack's own key, which rotates", () => {
    expect(synth).toHaveResourceWithProperties(KmsKey, { enable_key_rotation: true });
    expect(synth).toHaveResourceWithProperties(SnsTopic, {
      name: "dev-alarm-topic-alarms",
      kms_master_key_id: expect.stringMatching(/^\$\{aws_kms_key\.\w+\.arn\}$/),
    });
    expect(synth).toHaveDataSource(DataAwsIamPolicyDocument);
  });

  test.each(PUBLISHER_KEY_ACTIONS.map((a) => [a]))("CloudWatch alarms of this account may %s", (action) => {
    const own = { "aws:SourceAccount": account, "aws:SourceArn": `arn:aws:cloudwatch:ap-northeast-1:${account}:alarm:dev-queue-not-empty` };
    expect(allowed(keyPolicy, { principal: cloudWatch, action, context: own })).toBe(true);
  });

  test("an alarm of the account not named like the topic's (aws:SourceArn) may not use the key", () => {
    const context = { "aws:SourceAccount": account, "aws:SourceArn": `arn:aws:cloudwatch:ap-northeast-1:${account}:alarm:prod-queue-not-empty` };
    expect(allowed(keyPolicy, { principal: cloudWatch, action: "kms:GenerateDataKey", context })).toBe(false);
    expect(allowed(keyPolicy, { principal: cloudWatch, action: "kms:GenerateDataKey", context: { "aws:SourceAccount": account } })).toBe(false);
  });

  test("CloudWatch acting for another account, or another service, may not use the key", () => {
    const action = "kms:GenerateDataKey";
    expect(allowed(keyPolicy, { principal: cloudWatch, action, context: { "aws:SourceAccount": "210987654321" } })).toBe(false);
    expect(allowed(keyPolicy, { principal: cloudWatch, action, context: {} })).toBe(false);
    expect(
      allowed(keyPolicy, { principal: { type: "Service", id: "s3.amazonaws.com" }, action, context: { "aws:SourceAccount": account } }),
    ).toBe(false);
  });

  test("the account administers the key with named actions (no kms:*), so it is never locked out", () => {
    const root = { type: "AWS", id: `arn:aws:iam::${account}:root` };
    for (const action of ["kms:PutKeyPolicy", "kms:EnableKeyRotation", "kms:ScheduleKeyDeletion", "kms:DescribeKey"]) {
      expect(allowed(keyPolicy, { principal: root, action, context: {} })).toBe(true);
    }
    expect(keyPolicy.flatMap((s) => s.actions ?? []).filter((a) => a.includes("*"))).toEqual([]);
  });

  test("without a supplied account id, the key policy names the looked-up one", () => {
    const other = new TerraformStack(Testing.app(), "lookup");
    new AlarmTopic(other, "alarms", { topicName: "dev-lookup-alarms" });
    expect(Testing.synth(other)).toContain("data.aws_caller_identity.alarms_account");
  });
});
