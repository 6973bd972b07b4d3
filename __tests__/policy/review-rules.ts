/**
 * The policy suite's rules for the second security review's Terraform-level items
 * (issue 26) outside the queues: REST access logs that show the TLS version, and
 * alarm keys CloudWatch may use only for the stack's own alarms. Part of `rules`
 * in `rules.ts`; each has a known-bad case here, which `policy.test.ts` runs.
 */
import type { Rule, StackJson, Violation } from "./rules";

type Body = Record<string, unknown>;
const asArray = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

export const reviewRules: Rule[] = [
  {
    id: "rest-access-logs-tls-version",
    description: "REST stages log $context.tlsVersion: execute-api endpoints accept TLS 1.0 and nothing else can show who uses it",
    check(stack: StackJson): Violation[] {
      return Object.entries(stack.resource?.aws_api_gateway_stage ?? {})
        .filter(([, stage]) => !String((stage.access_log_settings as Body | undefined)?.format ?? "").includes("$context.tlsVersion"))
        .map(([name]) => ({ resource: `aws_api_gateway_stage.${name}`, detail: "access log format lacks $context.tlsVersion" }));
    },
  },
  {
    id: "alarm-key-source-arn",
    description: "a key policy statement for cloudwatch.amazonaws.com is bounded by aws:SourceAccount and aws:SourceArn (confused deputy)",
    check(stack: StackJson): Violation[] {
      return Object.entries(stack.data?.aws_iam_policy_document ?? {}).flatMap(([name, doc]) =>
        asArray(doc.statement as Body[] | undefined)
          .filter((st) => asArray(st.principals as Body[] | undefined).some((p) => asArray(p.identifiers as string[] | undefined).includes("cloudwatch.amazonaws.com")))
          .filter((st) => {
            const variables = asArray(st.condition as Body[] | undefined).map((c) => c.variable);
            return !variables.includes("aws:SourceAccount") || !variables.includes("aws:SourceArn");
          })
          .map(() => ({ resource: `data.aws_iam_policy_document.${name}`, detail: "CloudWatch's statement lacks aws:SourceAccount or aws:SourceArn" })),
      );
    },
  },
];

export const reviewRuleBadCases: Record<string, StackJson> = {
  "rest-access-logs-tls-version": {
    resource: { aws_api_gateway_stage: { s: { access_log_settings: { format: JSON.stringify({ requestId: "$context.requestId" }) } } } },
  },
  "alarm-key-source-arn": {
    data: {
      aws_iam_policy_document: {
        kp: {
          statement: [
            {
              principals: [{ type: "Service", identifiers: ["cloudwatch.amazonaws.com"] }],
              actions: ["kms:Decrypt"],
              condition: [{ test: "StringEquals", variable: "aws:SourceAccount", values: ["1"] }],
            },
          ],
        },
      },
    },
  },
};
