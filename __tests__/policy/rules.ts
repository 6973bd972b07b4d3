/**
 * The project's security and reliability rules, checked over synthesized
 * Terraform JSON. Each rule names what it guards; a violation names the stack,
 * the resource and the rule, so a failure says exactly what to fix.
 */

import { queueRules } from "./queue-rules";
import { reviewRules } from "./review-rules";

/** A synthesized stack: `cdk.tf.json` as parsed JSON. */
export interface StackJson {
  provider?: Record<string, Record<string, unknown>[]>;
  locals?: Record<string, unknown>;
  resource?: Record<string, Record<string, Record<string, unknown>>>;
  data?: Record<string, Record<string, Record<string, unknown>>>;
}

export interface Violation {
  readonly resource: string;
  readonly detail: string;
}

export interface Rule {
  readonly id: string;
  readonly description: string;
  check(stack: StackJson): Violation[];
}

/**
 * Actions AWS grants only on `Resource: "*"` (no resource-level permissions),
 * so `*` is the narrowest possible resource for them.
 */
export const STAR_RESOURCE_ACTIONS: readonly string[] = [
  // Amazon Comprehend: DetectDominantLanguage has no resource types (Service Authorization Reference).
  "comprehend:DetectDominantLanguage",
  // Amazon Translate: TranslateText's only resource type is an optional terminology; a call without one is authorized on "*".
  "translate:TranslateText",
  // CloudWatch custom metrics have no resource-level permissions.
  "cloudwatch:PutMetricData",
];

/** X-Ray's write actions: no resource-level permissions, so `*`; allowed only in the policy of a function with active tracing. */
export const TRACING_ACTIONS: readonly string[] = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"];


/**
 * AWS managed policies a stack may attach (their statements are AWS's, so the
 * rules above cannot see them): each is a deliberate, documented exception.
 */
export const ALLOWED_MANAGED_POLICIES: Readonly<Record<string, string>> = {
  // API Gateway's region-wide logging role must write every REST API's log groups, which no stack can list.
  "service-role/AmazonAPIGatewayPushToCloudWatchLogs": "account-wide API Gateway logging role",
};

function resourcesOf(stack: StackJson, type: string): [string, Record<string, unknown>][] {
  return Object.entries(stack.resource?.[type] ?? {}).map(([name, body]) => [`${type}.${name}`, body]);
}

function asArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** First element of a nested block (cdktf writes blocks as objects, sometimes as one-element arrays). */
function block(value: unknown): Record<string, unknown> | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === "object" && first !== null ? (first as Record<string, unknown>) : undefined;
}

interface Statement {
  effect: string;
  actions: string[];
  resources: string[];
  hasNotResource: boolean;
  /** In a KMS key policy, where `Resource: "*"` means the key itself. */
  inKeyPolicy: boolean;
  /** A `dynamic "statement"` present only while this HCL expression is true (`for_each = <when> ? [...] : []`). */
  when?: string;
}

/** Names of the policy documents a KMS key (or key policy) uses as its policy. */
function keyPolicyDocuments(stack: StackJson): Set<string> {
  const names = new Set<string>();
  for (const type of ["aws_kms_key", "aws_kms_key_policy"]) {
    for (const [, key] of resourcesOf(stack, type)) {
      const doc = String(key.policy ?? "").match(/data\.aws_iam_policy_document\.([\w-]+)\.json/);
      if (doc) names.add(doc[1]);
    }
  }
  return names;
}

/** Every policy statement in the stack: policy documents (data sources) and literal JSON policies. */
export function statements(stack: StackJson): { where: string; statement: Statement }[] {
  const found: { where: string; statement: Statement }[] = [];
  const keyDocuments = keyPolicyDocuments(stack);
  for (const [name, doc] of Object.entries(stack.data?.aws_iam_policy_document ?? {})) {
    // Static statements, then each dynamic one's content (it may be present at plan time: checked the same).
    const dynamic = asArray(block(doc.dynamic)?.statement as Record<string, unknown> | Record<string, unknown>[] | undefined).map((d) => ({
      s: block(d.content) ?? {},
      when: conditionOf(d.for_each),
    }));
    const all = [...asArray(doc.statement as Record<string, unknown>[] | undefined).map((s) => ({ s, when: undefined })), ...dynamic];
    for (const { s, when } of all) {
      found.push({
        where: `data.aws_iam_policy_document.${name}`,
        statement: {
          effect: String(s.effect ?? "Allow"),
          actions: asArray(s.actions as string[] | undefined),
          resources: asArray(s.resources as string[] | undefined),
          hasNotResource: s.not_resources !== undefined,
          inKeyPolicy: keyDocuments.has(name),
          when,
        },
      });
    }
  }
  const policyFields: [string, string][] = [
    ["aws_iam_policy", "policy"],
    ["aws_iam_role_policy", "policy"],
    ["aws_iam_user_policy", "policy"],
    ["aws_s3_bucket_policy", "policy"],
    ["aws_sqs_queue_policy", "policy"],
    ["aws_sns_topic_policy", "policy"],
    ["aws_kms_key", "policy"],
  ];
  for (const [type, field] of policyFields) {
    for (const [address, body] of resourcesOf(stack, type)) {
      const text = body[field];
      if (typeof text !== "string" || text.startsWith("${")) continue; // a reference: its document is checked itself
      let parsed: { Statement?: Record<string, unknown> | Record<string, unknown>[] };
      try {
        parsed = JSON.parse(text);
      } catch {
        found.push({ where: address, statement: { effect: "Allow", actions: ["<unparseable policy>"], resources: [], hasNotResource: false, inKeyPolicy: false } });
        continue;
      }
      for (const s of asArray(parsed.Statement)) {
        found.push({
          where: address,
          statement: {
            effect: String(s.Effect ?? "Allow"),
            actions: asArray(s.Action as string | string[] | undefined),
            resources: asArray(s.Resource as string | string[] | undefined),
            hasNotResource: s.NotResource !== undefined,
            inKeyPolicy: type === "aws_kms_key",
          },
        });
      }
    }
  }
  return found;
}

function refersTo(value: unknown, type: string): boolean {
  return typeof value === "string" && value.includes(`${type}.`);
}

/** `${aws_x.name.attr}` -> `aws_x.name` */
function referencedAddress(value: unknown, type: string): string | undefined {
  if (typeof value !== "string") return undefined;
  const match = value.match(new RegExp(`${type}\\.([\\w-]+)`));
  return match ? `${type}.${match[1]}` : undefined;
}

function lookup(stack: StackJson, address: string | undefined): Record<string, unknown> | undefined {
  if (!address) return undefined;
  const [type, name] = address.split(".");
  return stack.resource?.[type]?.[name];
}

/** Resources of `type` whose `field` references `address` (e.g. the encryption config of a bucket). */
function attachedTo(stack: StackJson, type: string, field: string, address: string): [string, Record<string, unknown>][] {
  return resourcesOf(stack, type).filter(([, body]) => String(body[field] ?? "").includes(`${address}.`));
}

/** `X` of a `${X ? [...] : []}` for_each: the statement exists only while X is true. */
function conditionOf(forEach: unknown): string | undefined {
  const match = typeof forEach === "string" ? forEach.match(/^\$\{(.+) \? \[[^\]]*\] : \[\]\}$/s) : null;
  return match ? match[1] : undefined;
}

/** ALWAYS: the function's tracing is Active; else the HCL condition under which it is (`${X ? "Active" : "PassThrough"}`). */
const ALWAYS = "";
function tracingCondition(fn: Record<string, unknown>): string | undefined {
  const mode = block(fn.tracing_config)?.mode;
  if (mode === "Active") return ALWAYS;
  const match = typeof mode === "string" ? mode.match(/^\$\{(.+) \? "Active" : "PassThrough"\}$/s) : null;
  return match ? match[1] : undefined;
}

/**
 * The policies (documents and policy resources) of the roles of traced functions, each with the
 * conditions under which the function is traced: ALWAYS (mode Active), or an HCL expression.
 */
function tracedPolicies(stack: StackJson): Map<string, Set<string>> {
  const roles = new Map<string, Set<string>>();
  for (const [, fn] of resourcesOf(stack, "aws_lambda_function")) {
    const role = referencedAddress(fn.role, "aws_iam_role");
    const condition = tracingCondition(fn);
    if (condition !== undefined && role) roles.set(role, (roles.get(role) ?? new Set()).add(condition));
  }
  const places = new Map<string, Set<string>>();
  const add = (address: string, body: Record<string, unknown>, conditions: Set<string>): void => {
    const doc = referencedAddress(body.policy, "data.aws_iam_policy_document");
    for (const place of doc ? [address, doc] : [address]) places.set(place, new Set([...(places.get(place) ?? []), ...conditions]));
  };
  for (const [address, body] of resourcesOf(stack, "aws_iam_role_policy")) {
    const conditions = roles.get(referencedAddress(body.role, "aws_iam_role") ?? "");
    if (conditions) add(address, body, conditions);
  }
  for (const [, body] of resourcesOf(stack, "aws_iam_role_policy_attachment")) {
    const policy = referencedAddress(body.policy_arn, "aws_iam_policy");
    const policyBody = lookup(stack, policy);
    const conditions = roles.get(referencedAddress(body.role, "aws_iam_role") ?? "");
    if (conditions && policy && policyBody) add(policy, policyBody, conditions);
  }
  return places;
}

/** X-Ray's writes are traced where the function is always traced, or (a dynamic statement) under the same condition. */
function tracedAt(traced: Map<string, Set<string>>, where: string, statement: Statement): boolean {
  const conditions = traced.get(where);
  return conditions !== undefined && (conditions.has(ALWAYS) || (statement.when !== undefined && conditions.has(statement.when)));
}

const MODERN_TLS_POLICIES = /^ELBSecurityPolicy-(TLS13-1-2|TLS-1-2|FS-1-2)/;

/** The stack's `entry_point_callers` local (blocks/entry-points.ts): address -> { caller, reason }. */
function entryPointDeclarations(stack: StackJson): Record<string, { caller?: unknown; reason?: unknown }> {
  const value = stack.locals?.entry_point_callers;
  return typeof value === "object" && value !== null ? (value as Record<string, { caller?: unknown; reason?: unknown }>) : {};
}

/** Authorization types of API Gateway that identify the caller before the backend runs. */
const IDENTIFYING_AUTHORIZATION = ["AWS_IAM", "COGNITO_USER_POOLS", "CUSTOM", "JWT"];

/**
 * An entry point that API Gateway or the ALB does not identify: fine only when
 * declared (blocks/entry-points.ts) as `public` with a reason, or as
 * `signature` with a reason and a function behind it that names its signing
 * secret (`SIGNATURE_SECRET_PARAMETER`).
 */
function undeclared(stack: StackJson, address: string, signatureFunction: () => Record<string, unknown> | undefined): Violation[] {
  const declaration = entryPointDeclarations(stack)[address];
  if (!declaration) return [{ resource: address, detail: "does not identify its callers (no IAM, API key, authorizer or signature) and is not declared public" }];
  if (typeof declaration.reason !== "string" || declaration.reason.trim() === "") return [{ resource: address, detail: "declared without a reason" }];
  if (declaration.caller === "public") return [];
  if (declaration.caller === "signature") {
    const variables = block(block(signatureFunction()?.environment)?.variables);
    return variables?.SIGNATURE_SECRET_PARAMETER
      ? []
      : [{ resource: address, detail: "declared signature-checked, but its function has no SIGNATURE_SECRET_PARAMETER" }];
  }
  return [{ resource: address, detail: `unknown caller declaration ${JSON.stringify(declaration.caller)}` }];
}

export const rules: readonly Rule[] = [
  {
    id: "iam-no-wildcard-action",
    description: "IAM Allow statements name their actions: no `*`, no `service:*`, no `service:Get*`",
    check: (stack) =>
      statements(stack)
        .filter(({ statement }) => statement.effect === "Allow")
        .flatMap(({ where, statement }) =>
          statement.actions.filter((a) => a.includes("*") || a === "<unparseable policy>").map((a) => ({ resource: where, detail: `action "${a}"` })),
        ),
  },
  {
    id: "iam-no-star-resource",
    description:
      "IAM Allow statements name their resources; `*` only for actions AWS grants only on `*` (STAR_RESOURCE_ACTIONS), X-Ray's writes (TRACING_ACTIONS) in the policy of a function with active tracing (or a dynamic statement under the condition its tracing mode is Active), and in key policies (where it is the key)",
    check: (stack) => {
      const traced = tracedPolicies(stack);
      return statements(stack)
        .filter(({ statement }) => statement.effect === "Allow" && !statement.inKeyPolicy)
        .filter(({ statement }) => statement.resources.includes("*") || statement.hasNotResource)
        .flatMap(({ where, statement }) =>
          statement.actions
            .filter((a) => !STAR_RESOURCE_ACTIONS.includes(a) && !(TRACING_ACTIONS.includes(a) && tracedAt(traced, where, statement)))
            .map((a) => ({ resource: where, detail: `action "${a}" on Resource "*"` })),
        );
    },
  },
  {
    id: "iam-no-any-log-group",
    description: "no `arn:aws:logs:*:*:*`: a function writes to its own log group",
    check: (stack) => {
      const violations: Violation[] = [];
      for (const [kind, byType] of [["resource", stack.resource], ["data", stack.data]] as const) {
        for (const [type, byName] of Object.entries(byType ?? {})) {
          for (const [name, body] of Object.entries(byName)) {
            if (JSON.stringify(body).includes("arn:aws:logs:*:*:*")) {
              violations.push({ resource: `${kind === "data" ? "data." : ""}${type}.${name}`, detail: "grants arn:aws:logs:*:*:*" });
            }
          }
        }
      }
      return violations;
    },
  },
  {
    id: "iam-managed-policies-allow-listed",
    description: "AWS managed policies are attached only from an explicit, commented allow-list (ALLOWED_MANAGED_POLICIES)",
    check: (stack) =>
      ["aws_iam_role_policy_attachment", "aws_iam_user_policy_attachment", "aws_iam_group_policy_attachment"].flatMap((type) =>
        resourcesOf(stack, type).flatMap(([address, a]) => {
          const managed = String(a.policy_arn ?? "").match(/:iam::aws:policy\/(.+)$/);
          return managed && !(managed[1] in ALLOWED_MANAGED_POLICIES)
            ? [{ resource: address, detail: `AWS managed policy ${managed[1]} is not allow-listed` }]
            : [];
        }),
      ),
  },
  {
    id: "lambda-permission-source-arn",
    description: "every Lambda permission is scoped with a source_arn; an API's names its routes, not every route of every stage",
    check: (stack) =>
      resourcesOf(stack, "aws_lambda_permission").flatMap(([address, p]) => {
        if (!p.source_arn) return [{ resource: address, detail: "no source_arn" }];
        // execute-api ARNs are <api>/<stage>/<method>/<path>: one ending in /* after the stage allows any route.
        const arn = String(p.source_arn);
        return p.principal === "apigateway.amazonaws.com" && /\/\*(\/\*)?$/.test(arn)
          ? [{ resource: address, detail: `source_arn ${arn} allows every route of the API` }]
          : [];
      }),
  },
  {
    id: "sqs-encrypted",
    description: "SQS queues are encrypted at rest (SSE-SQS or KMS)",
    check: (stack) =>
      resourcesOf(stack, "aws_sqs_queue")
        .filter(([, q]) => q.sqs_managed_sse_enabled !== true && !q.kms_master_key_id)
        .map(([address]) => ({ resource: address, detail: "no sqs_managed_sse_enabled / kms_master_key_id" })),
  },
  {
    id: "kinesis-encrypted",
    description: "Kinesis streams use KMS encryption",
    check: (stack) =>
      resourcesOf(stack, "aws_kinesis_stream")
        .filter(([, s]) => s.encryption_type !== "KMS" || !s.kms_key_id)
        .map(([address]) => ({ resource: address, detail: "encryption_type is not KMS with a key" })),
  },
  {
    id: "dynamodb-encrypted-and-recoverable",
    description: "DynamoDB tables have server-side encryption and point-in-time recovery enabled",
    check: (stack) =>
      resourcesOf(stack, "aws_dynamodb_table").flatMap(([address, t]) => [
        ...(block(t.server_side_encryption)?.enabled === true ? [] : [{ resource: address, detail: "server_side_encryption not enabled" }]),
        ...(block(t.point_in_time_recovery)?.enabled === true ? [] : [{ resource: address, detail: "point_in_time_recovery not enabled" }]),
      ]),
  },
  {
    id: "s3-encrypted-private-tls-only",
    description: "S3 buckets have an SSE configuration, a full public access block, and a policy denying non-TLS access",
    check: (stack) =>
      resourcesOf(stack, "aws_s3_bucket").flatMap(([address]) => {
        const v: Violation[] = [];
        if (attachedTo(stack, "aws_s3_bucket_server_side_encryption_configuration", "bucket", address).length === 0) {
          v.push({ resource: address, detail: "no aws_s3_bucket_server_side_encryption_configuration" });
        }
        const blocks = attachedTo(stack, "aws_s3_bucket_public_access_block", "bucket", address);
        const full = blocks.some(([, b]) =>
          ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"].every((k) => b[k] === true),
        );
        if (!full) v.push({ resource: address, detail: "no public access block with all four settings true" });
        const policies = attachedTo(stack, "aws_s3_bucket_policy", "bucket", address);
        const denies = policies.flatMap(([, p]) => policyStatementsOf(stack, p.policy)).filter((s) => s.effect === "Deny");
        const tlsOnly = denies.some((s) =>
          s.conditions.some((c) => c.test === "Bool" && c.variable === "aws:SecureTransport" && c.values.length === 1 && c.values[0] === "false"),
        );
        if (!tlsOnly) v.push({ resource: address, detail: "no bucket policy denying aws:SecureTransport = false" });
        return v;
      }),
  },
  {
    id: "tls-custom-domains",
    description: "API custom domains use TLS 1.2",
    check: (stack) => [
      ...resourcesOf(stack, "aws_apigatewayv2_domain_name")
        .filter(([, d]) => block(d.domain_name_configuration)?.security_policy !== "TLS_1_2")
        .map(([address]) => ({ resource: address, detail: "security_policy is not TLS_1_2" })),
      ...resourcesOf(stack, "aws_api_gateway_domain_name")
        .filter(([, d]) => d.security_policy !== "TLS_1_2")
        .map(([address]) => ({ resource: address, detail: "security_policy is not TLS_1_2" })),
    ],
  },
  {
    id: "tls-listeners",
    description: "HTTPS listeners use a TLS 1.2+ policy; plain HTTP listeners only redirect to HTTPS",
    check: (stack) =>
      resourcesOf(stack, "aws_lb_listener").flatMap(([address, l]) => {
        if (l.protocol === "HTTPS") {
          return MODERN_TLS_POLICIES.test(String(l.ssl_policy ?? "")) ? [] : [{ resource: address, detail: `ssl_policy ${String(l.ssl_policy)}` }];
        }
        const actions = asArray(l.default_action as Record<string, unknown>[] | undefined);
        const redirects = actions.length === 1 && actions[0].type === "redirect" && block(actions[0].redirect)?.protocol === "HTTPS";
        return redirects ? [] : [{ resource: address, detail: `${String(l.protocol)} listener does not only redirect to HTTPS` }];
      }),
  },
  {
    id: "alb-hardened-and-logged",
    description: "load balancers drop invalid header fields and write access logs",
    check: (stack) =>
      resourcesOf(stack, "aws_lb").flatMap(([address, lb]) => [
        ...(lb.drop_invalid_header_fields === true ? [] : [{ resource: address, detail: "drop_invalid_header_fields is not true" }]),
        ...(block(lb.access_logs)?.enabled === true ? [] : [{ resource: address, detail: "access_logs not enabled" }]),
      ]),
  },
  {
    id: "log-retention",
    description: "every log group has a retention",
    check: (stack) =>
      resourcesOf(stack, "aws_cloudwatch_log_group")
        .filter(([, g]) => !(Number(g.retention_in_days) > 0))
        .map(([address]) => ({ resource: address, detail: "no retention_in_days" })),
  },
  {
    id: "api-stage-logged-and-throttled",
    description: "every API stage writes access logs and has throttling limits",
    check: (stack) => [
      ...resourcesOf(stack, "aws_apigatewayv2_stage").flatMap(([address, s]) => {
        const v: Violation[] = [];
        if (!block(s.access_log_settings)?.destination_arn) v.push({ resource: address, detail: "no access_log_settings" });
        const route = block(s.default_route_settings);
        if (route?.throttling_burst_limit === undefined || route?.throttling_rate_limit === undefined) {
          v.push({ resource: address, detail: "no default_route_settings throttling" });
        }
        return v;
      }),
      ...resourcesOf(stack, "aws_api_gateway_stage").flatMap(([address, s]) => {
        const v: Violation[] = [];
        if (!block(s.access_log_settings)?.destination_arn) v.push({ resource: address, detail: "no access_log_settings" });
        const name = address.split(".")[1];
        const throttled = resourcesOf(stack, "aws_api_gateway_method_settings").some(([, m]) => {
          const settings = block(m.settings);
          return (
            String(m.stage_name ?? "").includes(`aws_api_gateway_stage.${name}.`) &&
            settings?.throttling_burst_limit !== undefined &&
            settings?.throttling_rate_limit !== undefined
          );
        });
        if (!throttled) v.push({ resource: address, detail: "no aws_api_gateway_method_settings with throttling for this stage" });
        return v;
      }),
    ],
  },
  {
    id: "entry-points-identify-callers",
    description:
      "every API method and route (except MOCK integrations), Lambda function URL and ALB listener that forwards identifies its callers (IAM, API key, authorizer, signature check) or is declared public with a reason",
    check: (stack) => [
      ...resourcesOf(stack, "aws_api_gateway_method").flatMap(([address, m]) => {
        const name = address.split(".")[1];
        const integration = resourcesOf(stack, "aws_api_gateway_integration").find(([, i]) =>
          String(i.http_method ?? "").includes(`aws_api_gateway_method.${name}.`),
        )?.[1];
        if (integration?.type === "MOCK") return [];
        if (IDENTIFYING_AUTHORIZATION.includes(String(m.authorization)) || m.api_key_required === true) return [];
        return undeclared(stack, address, () => lookup(stack, referencedAddress(integration?.uri, "aws_lambda_function")));
      }),
      ...resourcesOf(stack, "aws_apigatewayv2_route").flatMap(([address, r]) => {
        if (IDENTIFYING_AUTHORIZATION.includes(String(r.authorization_type)) || r.api_key_required === true) return [];
        return undeclared(stack, address, () => {
          const integration = lookup(stack, referencedAddress(r.target, "aws_apigatewayv2_integration"));
          return lookup(stack, referencedAddress(integration?.integration_uri, "aws_lambda_function"));
        });
      }),
      ...resourcesOf(stack, "aws_lambda_function_url")
        .filter(([, u]) => u.authorization_type !== "AWS_IAM")
        .flatMap(([address, u]) => undeclared(stack, address, () => lookup(stack, referencedAddress(u.function_name, "aws_lambda_function")))),
      ...resourcesOf(stack, "aws_lb_listener").flatMap(([address, l]) => {
        const name = address.split(".")[1];
        const actions = [
          ...asArray(l.default_action as Record<string, unknown>[] | undefined),
          ...resourcesOf(stack, "aws_lb_listener_rule")
            .filter(([, rule]) => String(rule.listener_arn ?? "").includes(`aws_lb_listener.${name}.`))
            .flatMap(([, rule]) => asArray(rule.action as Record<string, unknown>[] | undefined)),
        ];
        const onlyRedirects = actions.length > 0 && actions.every((a) => a.type === "redirect");
        const authenticates = actions.some((a) => a.type === "authenticate-oidc" || a.type === "authenticate-cognito");
        return onlyRedirects || authenticates ? [] : undeclared(stack, address, () => undefined);
      }),
    ],
  },
  {
    id: "async-partial-batch-failures",
    description: "event source mappings report partial batch failures",
    check: (stack) =>
      resourcesOf(stack, "aws_lambda_event_source_mapping")
        .filter(([, m]) => !asArray(m.function_response_types as string[] | undefined).includes("ReportBatchItemFailures"))
        .map(([address]) => ({ resource: address, detail: "no ReportBatchItemFailures" })),
  },
  {
    id: "async-stream-failure-handling",
    description: "stream mappings bisect on error, bound retries and record age, and send failures to a destination",
    check: (stack) =>
      resourcesOf(stack, "aws_lambda_event_source_mapping")
        .filter(([, m]) => refersTo(m.event_source_arn, "aws_kinesis_stream") || refersTo(m.event_source_arn, "aws_dynamodb_table"))
        .flatMap(([address, m]) => {
          const v: Violation[] = [];
          if (m.bisect_batch_on_function_error !== true) v.push({ resource: address, detail: "bisect_batch_on_function_error is not true" });
          const retries = Number(m.maximum_retry_attempts);
          if (!(retries >= 0 && retries <= 10)) v.push({ resource: address, detail: "maximum_retry_attempts not bounded (0-10)" });
          const age = Number(m.maximum_record_age_in_seconds);
          if (!(age >= 60 && age <= 86400)) v.push({ resource: address, detail: "maximum_record_age_in_seconds not bounded" });
          const destination = block(block(m.destination_config)?.on_failure)?.destination_arn;
          if (!destination) v.push({ resource: address, detail: "no on_failure destination" });
          return v;
        }),
  },
  {
    id: "async-queue-redrive-and-visibility",
    description: "every consumed queue has a redrive policy to a DLQ and a visibility timeout >= 6x the consumer's timeout",
    check: (stack) =>
      resourcesOf(stack, "aws_lambda_event_source_mapping")
        .filter(([, m]) => refersTo(m.event_source_arn, "aws_sqs_queue"))
        .flatMap(([address, m]) => {
          const queueAddress = referencedAddress(m.event_source_arn, "aws_sqs_queue");
          const queue = lookup(stack, queueAddress);
          const fn = lookup(stack, referencedAddress(m.function_name, "aws_lambda_function"));
          const v: Violation[] = [];
          if (!queue) return [{ resource: address, detail: "event source queue not found in the stack" }];
          if (!queue.redrive_policy) v.push({ resource: String(queueAddress), detail: "consumed queue has no redrive_policy" });
          const timeout = Number(fn?.timeout ?? 3);
          const window = Number(m.maximum_batching_window_in_seconds ?? 0);
          const visibility = Number(queue.visibility_timeout_seconds ?? 30);
          if (!(visibility >= 6 * timeout + window)) {
            v.push({ resource: String(queueAddress), detail: `visibility_timeout_seconds ${visibility} < 6 x ${timeout} s + ${window} s` });
          }
          return v;
        }),
  },
  {
    id: "alarms-wired",
    description: "the stack has an alarm topic, and every alarm notifies it",
    check: (stack) => {
      const alarms = resourcesOf(stack, "aws_cloudwatch_metric_alarm");
      const v: Violation[] = alarms
        .filter(([, a]) => asArray(a.alarm_actions as string[] | undefined).length === 0)
        .map(([address]) => ({ resource: address, detail: "no alarm_actions" }));
      if (resourcesOf(stack, "aws_sns_topic").length === 0) v.push({ resource: "(stack)", detail: "no SNS alarm topic" });
      if (alarms.length === 0) v.push({ resource: "(stack)", detail: "no alarms" });
      return v;
    },
  },
  {
    id: "alarm-topic-deliverable",
    description:
      "every alarm action is a topic of the stack CloudWatch can publish to: not encrypted with an AWS managed key (alias/aws/sns), and its key's policy grants cloudwatch.amazonaws.com kms:GenerateDataKey and kms:Decrypt, scoped to the account, with rotation on",
    check: (stack) =>
      resourcesOf(stack, "aws_cloudwatch_metric_alarm").flatMap(([address, alarm]) => {
        const actions = [...asArray(alarm.alarm_actions as string[] | undefined), ...asArray(alarm.ok_actions as string[] | undefined)];
        return [...new Set(actions)].flatMap((action): Violation[] => {
          const topicAddress = referencedAddress(action, "aws_sns_topic");
          const topic = lookup(stack, topicAddress);
          if (!topic) return [{ resource: address, detail: `action ${action} is not a topic of this stack` }];
          const keyId = topic.kms_master_key_id;
          if (keyId === undefined) return []; // unencrypted: deliverable
          if (String(keyId).startsWith("alias/aws/")) {
            return [{ resource: String(topicAddress), detail: `encrypted with the AWS managed key ${String(keyId)}: CloudWatch cannot publish` }];
          }
          const keyAddress = referencedAddress(keyId, "aws_kms_key");
          const key = lookup(stack, keyAddress);
          if (!key) return [{ resource: String(topicAddress), detail: `key ${String(keyId)} is not a customer managed key of this stack` }];
          return keyGrantsCloudWatch(stack, key)
            ? key.enable_key_rotation === true
              ? []
              : [{ resource: String(keyAddress), detail: "enable_key_rotation is not true" }]
            : [{ resource: String(keyAddress), detail: "key policy does not let cloudwatch.amazonaws.com (scoped to the account) use the key" }];
        });
      }),
  },
  {
    id: "dynamodb-deletion-protection",
    description: "DynamoDB tables set deletion_protection_enabled (true, or the stack's variable that defaults to true)",
    check: (stack) =>
      resourcesOf(stack, "aws_dynamodb_table")
        .filter(([, t]) => t.deletion_protection_enabled !== true && !String(t.deletion_protection_enabled ?? "").startsWith("${var."))
        .map(([address]) => ({ resource: address, detail: "deletion_protection_enabled is not set" })),
  },
  {
    id: "custom-domain-only-endpoint",
    description: "an API mapped to a custom domain disables its default execute-api endpoint (which bypasses the domain's TLS policy)",
    check: (stack) => {
      const mapped = [
        ...resourcesOf(stack, "aws_apigatewayv2_api_mapping").map(([, m]) => referencedAddress(m.api_id, "aws_apigatewayv2_api")),
        ...resourcesOf(stack, "aws_api_gateway_base_path_mapping").map(([, m]) => referencedAddress(m.api_id, "aws_api_gateway_rest_api")),
      ];
      return [...new Set(mapped)].flatMap((address) =>
        lookup(stack, address)?.disable_execute_api_endpoint === true
          ? []
          : [{ resource: String(address), detail: "mapped to a custom domain, but disable_execute_api_endpoint is not true" }],
      );
    },
  },
  {
    id: "public-functions-reserved-concurrency",
    description: "functions a load balancer invokes (no API throttling in front) have reserved concurrency, so a flood cannot take the account's",
    check: (stack) =>
      resourcesOf(stack, "aws_lb_target_group_attachment").flatMap(([address, a]) => {
        const fnAddress = referencedAddress(a.target_id, "aws_lambda_function");
        const fn = lookup(stack, fnAddress);
        if (!fn) return [];
        return fn.reserved_concurrent_executions === undefined
          ? [{ resource: String(fnAddress), detail: `behind ${address} without reserved_concurrent_executions` }]
          : [];
      }),
  },
  {
    id: "default-tags",
    description: "the AWS provider tags every resource with project, stack and environment",
    check: (stack) =>
      (stack.provider?.aws ?? []).flatMap((p, i) => {
        const tags = block(block(p.default_tags)?.tags) ?? (block(p.default_tags)?.tags as Record<string, unknown> | undefined);
        const missing = ["project", "stack", "environment"].filter((k) => !tags || tags[k] === undefined);
        return missing.length ? [{ resource: `provider.aws[${i}]`, detail: `default_tags missing ${missing.join(", ")}` }] : [];
      }),
  },
  ...queueRules,
  ...reviewRules,
];

/** Whether the key's policy document lets CloudWatch alarms of the account publish to a topic it encrypts. */
function keyGrantsCloudWatch(stack: StackJson, key: Record<string, unknown>): boolean {
  const doc = String(key.policy ?? "").match(/data\.aws_iam_policy_document\.([\w-]+)\.json/);
  const statementsOfKey = asArray(stack.data?.aws_iam_policy_document?.[doc?.[1] ?? ""]?.statement as Record<string, unknown>[] | undefined);
  const granted = statementsOfKey.filter((st) => {
    if ((st.effect ?? "Allow") !== "Allow") return false;
    const principals = asArray(st.principals as Record<string, unknown>[] | undefined);
    const cloudWatch = principals.some((p) => p.type === "Service" && asArray(p.identifiers as string[] | undefined).includes("cloudwatch.amazonaws.com"));
    const scoped = asArray(st.condition as Record<string, unknown>[] | undefined).some((c) =>
      ["aws:SourceAccount", "aws:SourceArn"].includes(String(c.variable)),
    );
    return cloudWatch && scoped;
  });
  const allows = (action: string): boolean =>
    granted.some((st) => asArray(st.actions as string[] | undefined).some((a) => new RegExp(`^${a.replace(/\*/g, ".*")}$`).test(action)));
  return allows("kms:GenerateDataKey") && allows("kms:Decrypt");
}

/** A policy's statements, effect and conditions only: a policy document it refers to, or literal JSON. */
function policyStatementsOf(stack: StackJson, policy: unknown): { effect: string; conditions: { test: string; variable: string; values: string[] }[] }[] {
  const text = String(policy ?? "");
  const doc = text.match(/data\.aws_iam_policy_document\.([\w-]+)\.json/);
  if (doc) {
    return asArray(stack.data?.aws_iam_policy_document?.[doc[1]]?.statement as Record<string, unknown>[] | undefined).map((st) => ({
      effect: String(st.effect ?? "Allow"),
      conditions: asArray(st.condition as Record<string, unknown>[] | undefined).map((c) => ({
        test: String(c.test),
        variable: String(c.variable),
        values: asArray(c.values as string[] | undefined).map(String),
      })),
    }));
  }
  let parsed: { Statement?: Record<string, unknown> | Record<string, unknown>[] };
  try {
    parsed = JSON.parse(text);
  } catch {
    return [];
  }
  return asArray(parsed.Statement).map((st) => ({
    effect: String(st.Effect ?? "Allow"),
    conditions: Object.entries((st.Condition ?? {}) as Record<string, Record<string, string | string[]>>).flatMap(([test, byVariable]) =>
      Object.entries(byVariable).map(([variable, values]) => ({ test, variable, values: asArray(values).map(String) })),
    ),
  }));
}


/** A rule over every stack of one environment at once (what one stack cannot see). */
export interface EnvironmentRule {
  readonly id: string;
  readonly description: string;
  check(stacks: ReadonlyMap<string, StackJson>): Violation[];
}

/**
 * The field holding each resource type's physical name: names AWS keeps unique per
 * account and region (or per VPC), so two stacks using one collide or, worse, share.
 */
export const PHYSICAL_NAME_FIELDS: Readonly<Record<string, string>> = {
  aws_sns_topic: "name",
  aws_sqs_queue: "name",
  aws_dynamodb_table: "name",
  aws_kinesis_stream: "name",
  aws_lambda_function: "function_name",
  aws_cloudwatch_log_group: "name",
  aws_cloudwatch_metric_alarm: "alarm_name",
  aws_iam_role: "name",
  aws_iam_policy: "name",
  aws_iam_user: "name",
  aws_kms_alias: "name",
  aws_lb: "name",
  aws_lb_target_group: "name",
  aws_security_group: "name",
  aws_s3_bucket: "bucket",
  aws_api_gateway_domain_name: "domain_name",
  aws_apigatewayv2_domain_name: "domain_name",
};

/**
 * A resource's physical name, with `${aws_x.y.<name field>}` references to a literal
 * name in the same stack resolved; undefined when it cannot be known at synth time.
 */
function physicalNameOf(stack: StackJson, type: string, body: Record<string, unknown>): string | undefined {
  const raw = body[PHYSICAL_NAME_FIELDS[type]];
  if (typeof raw !== "string") return undefined;
  const resolved = raw.replace(/\$\{(aws_\w+)\.([\w-]+)\.(\w+)\}/g, (whole, refType: string, refName: string, attr: string) => {
    const value = stack.resource?.[refType]?.[refName]?.[attr];
    return PHYSICAL_NAME_FIELDS[refType] === attr && typeof value === "string" && !value.includes("${") ? value : whole;
  });
  return resolved.includes("${") ? undefined : resolved;
}

export const environmentRules: readonly EnvironmentRule[] = [
  {
    id: "physical-names-unique",
    description: "no physical name (topic, queue, table, stream, function, log group, alarm, role, ...) repeats across the stacks of one environment",
    check: (stacks) => {
      const owners = new Map<string, string[]>();
      for (const [stackId, stack] of stacks) {
        for (const type of Object.keys(PHYSICAL_NAME_FIELDS)) {
          for (const [address, body] of resourcesOf(stack, type)) {
            const name = physicalNameOf(stack, type, body);
            if (name === undefined) continue;
            const key = `${type} "${name}"`;
            owners.set(key, [...(owners.get(key) ?? []), `[${stackId}] ${address}`]);
          }
        }
      }
      return [...owners.entries()]
        .filter(([, where]) => where.length > 1)
        .map(([key, where]) => ({ resource: where.join(", "), detail: `${key} is used ${where.length} times` }));
    },
  },
];
