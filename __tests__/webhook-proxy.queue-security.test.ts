/**
 * Who may read webhook-proxy's queued webhooks (issue 26, Low): both queues
 * encrypted with the stack's own key, which only the two function roles (and
 * named operators) may use, and only through SQS; queue policies that deny
 * everyone else receive/delete/purge (and send, on the main queue) and any
 * plain-HTTP call; the DLQ takes redrives from the main queue only. The
 * policies are read from the synthesized JSON and evaluated for a few
 * principals (the deny conditions' principal lists, with the operators' variable).
 */
import { Testing } from "cdktf";
import { WebhookProxyStack } from "../stacks/webhook-proxy";
import { PRINCIPAL_ARN_PATTERN, QUEUE_KEY_ADMIN_ACTIONS, READ_ACTIONS } from "../patterns/webhook-proxy/queue-security";
import { blockAt, byPath, type PolicyStatement, type StackJson, statementsOf, suppliedDeployment, synthesize } from "./support/synth";

const ACCOUNT = "123456789012";
const ROOT = `arn:aws:iam::${ACCOUNT}:root`;

function build(queueOperatorArns?: string[]): StackJson {
  return synthesize(new WebhookProxyStack(Testing.app(), "webhook-proxy", { deployment: suppliedDeployment, queueOperatorArns })).json;
}

const roleArn = (json: StackJson, fn: string): string => `\${aws_iam_role.${byPath(json, "aws_iam_role", `${fn}/role`).name}.arn}`;

/** The principals a deny's `ArnNotEquals aws:PrincipalArn` exempts: `concat([...literal], tolist(var.queue_operator_arns))` with the variable's default. */
function exempted(json: StackJson, statement: PolicyStatement): string[] {
  const condition = statement.condition?.find((c) => c.test === "ArnNotEquals" && c.variable === "aws:PrincipalArn");
  const expr = String(condition?.values);
  const m = /^\$\{concat\((\[.*\]), tolist\(var\.queue_operator_arns\)\)\}$/.exec(expr);
  if (!m) throw new Error(`unexpected principal list: ${expr}`);
  // HCL list items: quoted strings, or references written bare (`aws_iam_role.x.arn`), as `${...}` elsewhere in the JSON.
  const literal = m[1]
    .slice(1, -1)
    .split(", ")
    .map((item) => (item.startsWith('"') ? (JSON.parse(item) as string) : `\${${item}}`));
  const operators = (json.variable.queue_operator_arns.default ?? []) as string[];
  return [...literal, ...operators];
}

/** Whether the queue policy denies `principal` the `action` over TLS. */
function denied(json: StackJson, policyId: string, principal: string, action: string): boolean {
  const policy = byPath(json, "aws_sqs_queue_policy", policyId).body;
  return statementsOf(json, policy.policy)
    .filter((s) => s.effect === "Deny" && (s.actions ?? []).includes(action))
    .filter((s) => !(s.condition ?? []).some((c) => c.variable === "aws:SecureTransport"))
    .some((s) => !exempted(json, s).includes(principal));
}

describe("webhook-proxy: the queues and their key", () => {
  const json = build();
  const producer = roleArn(json, "api2sqs");
  const consumer = roleArn(json, "sqs2upstream");
  const stranger = `arn:aws:iam::${ACCOUNT}:role/any-other-role`;

  test("both queues are encrypted with the stack's key (rotated), not SQS-managed keys", () => {
    for (const queue of Object.values(json.resource.aws_sqs_queue)) {
      expect(queue.kms_master_key_id).toBe("${aws_kms_key.queue_key.arn}");
      expect(queue).not.toHaveProperty("sqs_managed_sse_enabled");
    }
    expect(json.resource.aws_kms_key.queue_key).toMatchObject({ enable_key_rotation: true, deletion_window_in_days: 30 });
    expect(json.resource.aws_kms_alias.queue_key_alias.name).toBe("alias/dev-webhook-proxy-queues");
  });

  test("the key policy: the account administers but cannot decrypt; api2sqs encrypts and sqs2upstream decrypts, only through SQS", () => {
    const statements = statementsOf(json, json.resource.aws_kms_key.queue_key.policy);
    const admin = statements.find((s) => s.sid === "AccountAdministersKey") as PolicyStatement;
    expect(admin.principals).toEqual([{ type: "AWS", identifiers: [ROOT] }]);
    expect(admin.actions).toEqual([...QUEUE_KEY_ADMIN_ACTIONS]);
    expect(admin.actions).not.toContain("kms:Decrypt");
    expect(admin.actions).not.toContain("kms:GenerateDataKey");
    const uses = statements.filter((s) => (s.actions ?? []).some((a) => a === "kms:Decrypt" || a === "kms:GenerateDataKey"));
    expect(uses.map((s) => [s.principals, s.actions])).toEqual([
      [[{ type: "AWS", identifiers: [producer] }], ["kms:GenerateDataKey", "kms:Decrypt"]],
      [[{ type: "AWS", identifiers: [consumer] }], ["kms:Decrypt"]],
    ]);
    for (const s of uses) {
      expect(s.condition).toEqual([{ test: "StringEquals", variable: "kms:ViaService", values: ["sqs.${data.aws_region.current_region.name}.amazonaws.com"] }]);
    }
    // Operators get a statement only when named (a statement without principals is no valid key policy).
    const doc = blockAt(json, "aws_iam_policy_document", "queue_key_policy", "data") as { dynamic: { statement: { for_each: string } } };
    expect(doc.dynamic.statement.for_each).toBe('${length(var.queue_operator_arns) > 0 ? ["OperatorsRedriveViaSqs"] : []}');
  });

  test("the main queue: only sqs2upstream (and the root, and operators) may receive or delete; only api2sqs may send", () => {
    for (const action of READ_ACTIONS) {
      expect(denied(json, "queue_policy", consumer, action)).toBe(false);
      expect(denied(json, "queue_policy", producer, action)).toBe(true);
      expect(denied(json, "queue_policy", stranger, action)).toBe(true);
      expect(denied(json, "queue_policy", ROOT, action)).toBe(false);
    }
    expect(denied(json, "queue_policy", producer, "sqs:SendMessage")).toBe(false);
    expect(denied(json, "queue_policy", stranger, "sqs:SendMessage")).toBe(true);
    expect(denied(json, "queue_policy", consumer, "sqs:SendMessage")).toBe(true);
  });

  test("the DLQ: nobody but the root and the operators may read it (sqs2upstream neither)", () => {
    for (const action of READ_ACTIONS) {
      expect(denied(json, "dlq_policy", consumer, action)).toBe(true);
      expect(denied(json, "dlq_policy", stranger, action)).toBe(true);
      expect(denied(json, "dlq_policy", ROOT, action)).toBe(false);
    }
  });

  test("both queue policies deny every call over plain HTTP", () => {
    for (const id of ["queue_policy", "dlq_policy"]) {
      const policy = byPath(json, "aws_sqs_queue_policy", id).body;
      expect(statementsOf(json, policy.policy)).toContainEqual(
        expect.objectContaining({
          effect: "Deny",
          actions: ["sqs:*"],
          principals: [{ type: "*", identifiers: ["*"] }],
          condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
        }),
      );
    }
    expect(json.resource.aws_sqs_queue_policy.queue_policy.queue_url).toBe("${aws_sqs_queue.queue.url}");
  });

  test("the DLQ takes redrives from the main queue only (byQueue)", () => {
    const allow = json.resource.aws_sqs_queue_redrive_allow_policy.dlq_redrive_allow;
    expect(allow.queue_url).toBe(`\${aws_sqs_queue.${byPath(json, "aws_sqs_queue", "dlq/queue").name}.url}`);
    expect(allow.redrive_allow_policy).toBe('${jsonencode({"redrivePermission" = "byQueue", "sourceQueueArns" = [aws_sqs_queue.queue.arn]})}');
  });

  test("api2sqs and sqs2upstream need no kms statement of their own: the key policy names them", () => {
    for (const fn of ["api2sqs", "sqs2upstream"]) {
      const doc = byPath(json, "aws_iam_policy_document", `${fn}/policy_document`, "data").body as { statement: PolicyStatement[] };
      expect(doc.statement.flatMap((s) => s.actions ?? []).filter((a) => a.startsWith("kms:"))).toEqual([]);
    }
  });
});

describe("queue_operator_arns: who may redrive and read the DLQ", () => {
  test("named operators are exempt from the denies, and the variable admits only IAM role or user ARNs", () => {
    const operator = `arn:aws:iam::${ACCOUNT}:role/oncall`;
    const json = build([operator]);
    expect(json.variable.queue_operator_arns).toMatchObject({ type: "set(string)", default: [operator] });
    for (const action of READ_ACTIONS) {
      expect(denied(json, "dlq_policy", operator, action)).toBe(false);
      expect(denied(json, "queue_policy", operator, action)).toBe(false);
    }
    // A redrive moves messages back into the main queue as its caller: operators may send there.
    expect(denied(json, "queue_policy", operator, "sqs:SendMessage")).toBe(false);
    const re = new RegExp(PRINCIPAL_ARN_PATTERN);
    expect([operator, `arn:aws:iam::${ACCOUNT}:user/alice`, `arn:aws:iam::${ACCOUNT}:role/path/x`].every((a) => re.test(a))).toBe(true);
    expect(["*", `arn:aws:iam::${ACCOUNT}:root`, "arn:aws:iam::12:role/x", "oncall"].some((a) => re.test(a))).toBe(false);
    expect(json.variable.queue_operator_arns.validation?.[0].condition).toContain("var.queue_operator_arns");
  });
});
